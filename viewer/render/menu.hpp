#pragma once
// The live edit menu of the HUD: a column of bilingual buttons (the classes a visitor may add and
// "撤销 undo") on the right, and a status line above the caption (whether edits are ready, what the
// last edit changed, the edits left). Every drawable is made once; showing, hiding and relabelling
// only change texts, colours and node masks, so an exhibition can use it all day without
// allocating.
#include <osg/Geometry>
#include <osg/Group>
#include <osgText/Font>
#include <osgText/Text>

#include <string>
#include <utility>
#include <vector>

namespace ut::render {

class EditMenu {
 public:
  // `items`: the buttons' labels (Chinese, English), an "undo" button follows them.
  EditMenu(osgText::Font* font, int width, int height, const std::vector<std::pair<std::string, std::string>>& items);
  osg::Group* node() const { return root_.get(); }
  void resize(int width, int height);
  std::size_t items() const { return labels_.size(); }  // buttons before "undo"
  std::size_t undo_button() const { return labels_.size(); }

  void set_open(bool open);  // the buttons (the status line stays)
  bool open() const { return open_; }
  void set_title(const std::string& text);          // the line above the buttons (the tapped block)
  void set_enabled(std::size_t button, bool on);    // greyed out when off (a hit still reports it)
  void set_status(const std::string& text);         // "" hides the line
  const std::string& status() const { return status_text_; }

  // The button under a window point (x right, y up from the bottom, as osgGA reports it), or -1.
  int hit(double x, double y) const;
  // The centre of a button in window coordinates (x right, y up).
  std::pair<double, double> centre(std::size_t button) const;
  // Whether the menu or the status line covers a pixel (x right, y down from the top).
  bool covers(double x, double y_down) const;

 private:
  osg::ref_ptr<osg::Group> root_, buttons_;
  osg::ref_ptr<osg::Geometry> boxes_, status_box_;
  osg::ref_ptr<osgText::Text> title_, status_;
  std::vector<osg::ref_ptr<osgText::Text>> texts_;
  std::vector<std::pair<std::string, std::string>> labels_;
  std::vector<bool> enabled_;
  std::string status_text_;
  int width_, height_;
  bool open_ = false;
  struct Box {
    float x0, y0, x1, y1;
  };
  Box box(std::size_t button) const;
  Box status_box() const;
  void layout();
};

}  // namespace ut::render
