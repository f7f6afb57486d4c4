#!/usr/bin/env bash
# Each engine module may include only the modules the architecture allows (docs/architecture.md).
set -euo pipefail
src=$1
declare -A allowed=(
  [core]="core"
  [geo]="core geo"
  [graph]="core geo graph"
  [city]="core geo graph city"
  [homes]="core geo graph city homes"
  [scenario]="core scenario"
  [models/coverage]="core geo graph models"
  [models/traffic]="core models"
  [models/population]="core models"
  [tntp]="core models tntp"
  [sim]="core geo graph city homes scenario models sim"
  [gis_io]="core geo graph city scenario gis_io"
  [siting]="core geo graph city homes scenario models sim siting"
  [output]="core geo graph city homes scenario models sim siting gis_io output"
  [batch]="core scenario gis_io output batch"
  [report]="core gis_io batch report"
  [api]="core geo graph city homes scenario models sim gis_io output api"
  [app]="core geo graph city homes scenario models sim siting gis_io output tntp batch report api app"
)
status=0
for mod in "${!allowed[@]}"; do
  for f in "$src/engine/$mod"/*.[ch]pp; do
    while read -r inc; do
      top=${inc%%/*}
      case " ${allowed[$mod]} " in *" $top "*) ;; *) echo "$f includes $inc: $mod may not depend on $top"; status=1;; esac
    done < <(grep -oE '^#include "[^"]+"' "$f" | sed -E 's/#include "([^"]+)"/\1/')
    if grep -qE '#include <osg' "$f"; then echo "$f includes OpenSceneGraph: the engine never sees OSG"; status=1; fi
    if [ "$mod" != gis_io ] && [ "$mod" != output ] && grep -qE '#include <(gdal|ogr|cpl)' "$f"; then
      echo "$f includes GDAL: only gis_io and output use GDAL"; status=1
    fi
    if [ "$mod" != geo ] && grep -qE '#include <proj' "$f"; then echo "$f includes PROJ: PROJ stays inside geo"; status=1; fi
  done
done
# The viewer: run directories and OpenSceneGraph; of the engine only core, geo and the public API
# (live edits, viewer/live; never its internals), and nothing of the viewer inside engine/.
declare -A viewer=(
  [run_data]="core geo run_data"
  [render]="core geo run_data render"
  [live]="core geo api run_data live"
  [app]="core geo run_data render live app"
)
for mod in "${!viewer[@]}"; do
  for f in "$src/viewer/$mod"/*.[ch]pp; do
    while read -r inc; do
      top=${inc%%/*}
      case " ${viewer[$mod]} " in *" $top "*) ;; *) echo "$f includes $inc: viewer/$mod may not depend on $top"; status=1;; esac
    done < <(grep -oE '^#include "[^"]+"' "$f" | sed -E 's/#include "([^"]+)"/\1/')
    if { [ "$mod" = run_data ] || [ "$mod" = live ]; } && grep -qE '#include <osg' "$f"; then echo "$f: viewer/$mod does not render"; status=1; fi
  done
done
if grep -rqE '#include "(run_data|render)/' "$src/engine"; then echo "engine/ includes the viewer"; status=1; fi
[ $status -eq 0 ] && echo "module dependencies follow the architecture"
exit $status
