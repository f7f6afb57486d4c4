#pragma once
// An exhibition tour (TOML): stops with a run, an optional comparison, a camera, an indicator, a
// year (or playing through the years) and a bilingual caption. docs/viewer.md has the format.
#include <filesystem>
#include <string>
#include <vector>

namespace ut::viewer {

struct Stop {
  std::string run;      // run directory name, a sibling of the viewer's RUN_DIR; empty: RUN_DIR
  std::string compare;  // likewise; empty: none
  std::string camera = "overview";
  std::string indicator = "residents_per_ha";
  int year = 0;         // 0: the run's last year
  bool play = false;    // advance through the years during the stop
  double seconds = 10;
  std::string caption_zh, caption_en;
};

// A class a visitor may add (the edit menu's buttons), with its bilingual label.
struct Offer {
  std::string cls;  // a coverage class of the run (manifest `classes`)
  std::string zh, en;
};

// Live what-ifs (the `[live]` table): visitors tap a block and add a facility or draw a greenway.
struct LiveSettings {
  bool enabled = true;
  int budget = 5;          // edits a visitor may have at once (also the session's undo history)
  bool greenway = true;    // a drag draws a greenway
  std::vector<Offer> offers = {{"kindergarten", "幼儿园", "kindergarten"},
                               {"health", "社区卫生服务站", "clinic"},
                               {"elderly_care", "养老", "elderly care"},
                               {"green", "小公园", "small park"}};
};

struct Tour {
  std::filesystem::path file;
  std::string title_zh, title_en;
  double idle_seconds = 45;   // back to the tour after this long without input
  std::string exit_key = "F12";  // the operator's exit key (the only key that ends the program)
  std::vector<Stop> stops;
  LiveSettings live;
};

// Throws core::InputError naming the file, key and value.
Tour load_tour(const std::filesystem::path& file);

}  // namespace ut::viewer
