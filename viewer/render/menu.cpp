#include "render/menu.hpp"

#include <osg/Geode>

#include <algorithm>

namespace ut::render {

namespace {

constexpr float kPanelW = 300, kMargin = 16, kButtonH = 44, kGap = 8, kTop = 84;
constexpr float kStatusH = 52;

osg::Geometry* quads(std::size_t n) {
  osg::ref_ptr<osg::Geometry> g = new osg::Geometry;
  g->setVertexArray(new osg::Vec3Array(static_cast<unsigned>(6 * n)));
  g->setColorArray(new osg::Vec4Array(static_cast<unsigned>(6 * n)), osg::Array::BIND_PER_VERTEX);
  g->addPrimitiveSet(new osg::DrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(6 * n)));
  g->setUseDisplayList(false);
  g->setUseVertexBufferObjects(true);
  g->setDataVariance(osg::Object::DYNAMIC);
  return g.release();
}

void set_quad(osg::Geometry& g, std::size_t i, float x0, float y0, float x1, float y1, const osg::Vec4& c) {
  auto* v = static_cast<osg::Vec3Array*>(g.getVertexArray());
  auto* col = static_cast<osg::Vec4Array*>(g.getColorArray());
  const osg::Vec3 p[6] = {{x0, y0, 0}, {x1, y0, 0}, {x1, y1, 0}, {x0, y0, 0}, {x1, y1, 0}, {x0, y1, 0}};
  for (unsigned k = 0; k < 6; ++k) {
    (*v)[static_cast<unsigned>(6 * i) + k] = p[k];
    (*col)[static_cast<unsigned>(6 * i) + k] = c;
  }
  v->dirty();
  col->dirty();
  g.dirtyBound();
}

osgText::Text* make_text(osgText::Font* font, float size, osgText::Text::AlignmentType align) {
  osg::ref_ptr<osgText::Text> t = new osgText::Text;
  t->setFont(font);
  t->setCharacterSize(size);
  t->setAlignment(align);
  t->setColor(osg::Vec4(1, 1, 1, 1));
  t->setDataVariance(osg::Object::DYNAMIC);
  return t.release();
}

}  // namespace

EditMenu::EditMenu(osgText::Font* font, int width, int height, const std::vector<std::pair<std::string, std::string>>& items)
    : labels_(items), enabled_(items.size() + 1, true), width_(width), height_(height) {
  root_ = new osg::Group;
  buttons_ = new osg::Group;
  boxes_ = quads(items.size() + 2);  // a panel behind the title, then one per button
  status_box_ = quads(1);
  osg::ref_ptr<osg::Geode> bg = new osg::Geode;  // boxes first, texts over them
  bg->addDrawable(boxes_);
  bg->getOrCreateStateSet()->setMode(GL_BLEND, osg::StateAttribute::ON);
  bg->getOrCreateStateSet()->setRenderBinDetails(1, "RenderBin");
  osg::ref_ptr<osg::Geode> tg = new osg::Geode;
  tg->getOrCreateStateSet()->setRenderBinDetails(2, "RenderBin");
  title_ = make_text(font, 16, osgText::Text::LEFT_CENTER);
  tg->addDrawable(title_);
  for (std::size_t i = 0; i <= items.size(); ++i) {
    texts_.push_back(make_text(font, 18, osgText::Text::CENTER_CENTER));
    const std::string label = i < items.size() ? "+ " + items[i].first + " " + items[i].second : "撤销 undo";
    texts_.back()->setText(label, osgText::String::ENCODING_UTF8);
    tg->addDrawable(texts_.back());
  }
  buttons_->addChild(bg);
  buttons_->addChild(tg);
  buttons_->setNodeMask(0);
  osg::ref_ptr<osg::Geode> sg = new osg::Geode;
  sg->addDrawable(status_box_);
  status_ = make_text(font, 18, osgText::Text::CENTER_CENTER);
  sg->addDrawable(status_);
  sg->getOrCreateStateSet()->setMode(GL_BLEND, osg::StateAttribute::ON);
  sg->getOrCreateStateSet()->setRenderBinDetails(3, "RenderBin");
  root_->addChild(buttons_);
  root_->addChild(sg);
  layout();
  set_status("");
}

EditMenu::Box EditMenu::box(std::size_t b) const {
  const float x1 = static_cast<float>(width_) - kMargin, x0 = x1 - kPanelW;
  const float top = static_cast<float>(height_) - kTop - 30 - static_cast<float>(b) * (kButtonH + kGap);
  return {x0, top - kButtonH, x1, top};
}

EditMenu::Box EditMenu::status_box() const {
  const float w = std::min(static_cast<float>(width_) - 2 * kMargin, 900.0f), cx = static_cast<float>(width_) / 2;
  return {cx - w / 2, 118, cx + w / 2, 118 + kStatusH};
}

void EditMenu::layout() {
  const float x1 = static_cast<float>(width_) - kMargin, x0 = x1 - kPanelW, top = static_cast<float>(height_) - kTop;
  set_quad(*boxes_, 0, x0, top - 30, x1, top, osg::Vec4(0.05f, 0.06f, 0.08f, 0.85f));
  title_->setPosition({x0 + 10, top - 15, 0});
  for (std::size_t b = 0; b < texts_.size(); ++b) {
    const Box r = box(b);
    const bool undo = b == labels_.size();
    const osg::Vec4 on = undo ? osg::Vec4(0.35f, 0.35f, 0.4f, 0.92f) : osg::Vec4(0.1f, 0.45f, 0.3f, 0.92f);
    set_quad(*boxes_, b + 1, r.x0, r.y0, r.x1, r.y1, enabled_[b] ? on : osg::Vec4(0.2f, 0.2f, 0.22f, 0.7f));
    texts_[b]->setPosition({(r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2, 0});
    texts_[b]->setColor(enabled_[b] ? osg::Vec4(1, 1, 1, 1) : osg::Vec4(0.6f, 0.6f, 0.6f, 1));
  }
  const Box s = status_box();
  set_quad(*status_box_, 0, s.x0, s.y0, s.x1, s.y1, status_text_.empty() ? osg::Vec4(0, 0, 0, 0) : osg::Vec4(0.05f, 0.06f, 0.08f, 0.85f));
  status_->setPosition({(s.x0 + s.x1) / 2, (s.y0 + s.y1) / 2, 0});
}

void EditMenu::resize(int width, int height) {
  width_ = width;
  height_ = height;
  layout();
}

void EditMenu::set_open(bool open) {
  open_ = open;
  buttons_->setNodeMask(open ? ~0u : 0u);
}

void EditMenu::set_title(const std::string& text) { title_->setText(text, osgText::String::ENCODING_UTF8); }

void EditMenu::set_enabled(std::size_t b, bool on) {
  if (b >= enabled_.size() || enabled_[b] == on) return;
  enabled_[b] = on;
  layout();
}

void EditMenu::set_status(const std::string& text) {
  if (text == status_text_ && !text.empty()) return;
  status_text_ = text;
  status_->setText(text, osgText::String::ENCODING_UTF8);
  layout();
}

int EditMenu::hit(double x, double y) const {
  if (!open_) return -1;
  for (std::size_t b = 0; b < texts_.size(); ++b) {
    const Box r = box(b);
    if (x >= r.x0 && x <= r.x1 && y >= r.y0 && y <= r.y1) return static_cast<int>(b);
  }
  return -1;
}

std::pair<double, double> EditMenu::centre(std::size_t b) const {
  const Box r = box(b);
  return {(r.x0 + r.x1) / 2.0, (r.y0 + r.y1) / 2.0};
}

bool EditMenu::covers(double x, double y_down) const {
  const double y = height_ - y_down;
  auto in = [&](const Box& r, double pad) { return x >= r.x0 - pad && x <= r.x1 + pad && y >= r.y0 - pad && y <= r.y1 + pad; };
  if (!status_text_.empty() && in(status_box(), 4)) return true;
  if (!open_) return false;
  const Box first = box(0), last = box(texts_.size() - 1);
  return in({first.x0, last.y0, first.x1, static_cast<float>(height_) - kTop}, 4);
}

}  // namespace ut::render
