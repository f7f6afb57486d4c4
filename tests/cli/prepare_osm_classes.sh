#!/usr/bin/env bash
# `urbantwin prepare-osm` on a hand-made extract (DIR/classes.osm, its first comment says what is
# where) with the Monaco profile and --bbox 7.40,43.70,7.42,43.72: facility classes from tags first
# (childcare, isced:level, school:FR, healthcare, social_facility), the profile's French name rules
# second; the sea south of the coastline and the lake are no parcel; land area and residents as
# computed by hand (docs/data-derivation.md).
set -euo pipefail
ut=$(realpath "$1") dir=$(realpath "$2") src=$(realpath "$3")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failed=0
check() {  # check NAME EXPECTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok   $1"; else
    echo "FAIL $1"; echo "  expected: $(printf '%s' "$2" | tr '\n' '|')"; echo "  actual:   $(printf '%s' "$3" | tr '\n' '|')"
    failed=$((failed + 1))
  fi
}
dump() { ogr2ogr -f CSV /vsistdout/ "$1" -sql "$2" | tr -d '\r'; }
about() { sqlite3 "$1" "select value from about where key = '$2'"; }
"$ut" prepare-osm "$dir/classes.osm" --bbox 7.40,43.70,7.42,43.72 --profile "$src/gis-data/monaco/profile.toml" \
  --residents 1000 --out "$tmp/a.gpkg" >"$tmp/stdout"
g=$tmp/a.gpkg

check "classes: kindergarten and childcare, isced:level 1 / 2;3, school:FR, names (maternelle, Collège), an unknown
level assumed primary; clinic and healthcare=doctor; a senior nursing home; not the pharmacy nor a child day care" \
'classes,name,level_source,osm_ref
elderly_care,Maison de retraite N,,node/39
fire_station,Caserne P,,node/41
health,Clinique L,,node/37
health,Cabinet M,,node/38
kindergarten,Jardin d'"'"'enfants A,,node/26
kindergarten,Crèche B,,node/27
kindergarten,École maternelle F,,node/31
metro,Station Q,,node/42
middle_school,École D,isced:level,node/29
middle_school,Collège G,name,node/32
middle_school,Établissement J,school:FR,node/35
park,Parc Test,,way/130
primary_school,École C,isced:level,node/28
primary_school,École I,assumed (level unknown),node/34' \
  "$(dump "$g" "select classes, name, level_source, osm_ref from facilities order by fid")"

check "high schools (isced:level 3, 'Lycée', the 3 of 'École D') classified, not written (not a class of the profile)" "3" \
  "$(about "$g" classified_not_written.high_school)"

# Land: the box north of 43.7053 N less the lake (0.002 x 0.002 deg), by hand: 0.0147 deg of
# latitude (111,106.7 m/deg at 43.71 N) x 0.02 deg of longitude (80,604.3 m/deg at 43.7127 N)
# = 2,632,963 m2, less the lake 35,823 m2, times the UTM 32N area scale 0.9996 (1.59 deg from the
# central meridian): 2.5961 km2. The sea: 0.0053 deg x 0.02 deg: 0.9493 km2.
check "land area 2.5961 km2 within 0.2 %" "yes" \
  "$(awk -v v="$(about "$g" figure.land_area_km2)" 'BEGIN { print (v > 2.5909 && v < 2.6013) ? "yes" : v }')"
check "sea 0.9493 km2 within 0.2 %" "yes" \
  "$(awk -v v="$(about "$g" sea_in_study_area_km2)" 'BEGIN { print (v > 0.9474 && v < 0.9512) ? "yes" : v }')"
check "4 parcels (two roads cross the land), the lake and the sea in water and barriers" \
'4
kind,osm_ref
water,way/120
sea,natural=coastline (sea side)' \
  "$(sqlite3 "$g" "select count(*) from parcels"; dump "$g" "select kind, osm_ref from water order by fid")"
check "barriers: the lake and the sea" 'water
sea' "$(sqlite3 "$g" "select kind from barriers order by fid")"
check "no parcel overlaps water or the sea" "0" \
  "$(ogrinfo -ro -q "$g" -dialect SQLite -sql "select count(*) as n from parcels p, water w
      where ST_Intersects(p.geom, w.geom) and ST_Area(ST_Intersection(p.geom, w.geom)) > 0.01" | sed -n 's/^ *n (Integer) = //p')"
# Residents: the apartment block (0.0004 deg square, 5 levels by the profile's default) and the
# house (0.0002 deg square, 2 levels): floor areas 5 x 4A and 2 x A, so 1000 x 20/22 = 909.09 and
# 90.9: 909 and 91 by largest remainders.
check "residents: 909 in the apartments' parcel, 91 in the house's, 1000 in all" \
'909
91
1000' "$(sqlite3 "$g" "select residents from parcels where residents > 0 order by residents desc; select sum(residents) from parcels")"
check "the about table: study area, method and source of the residents" \
'--bbox 7.40,43.70,7.42,43.72
total: a total of 1000 residents
option --residents' \
  "$(about "$g" study_area; about "$g" residents_method; about "$g" residents_source)"
check "greenway: the footway inside the park" "Allée du parc,path inside a park" \
  "$(dump "$g" "select name, rule from greenways" | tail -n +2)"
# Capacities per class from the profile ([prepare_osm.facilities.capacity]); other classes stay empty.
{ cat "$src/gis-data/monaco/profile.toml"; printf '\n[prepare_osm.facilities.capacity]\nkindergarten = 90\nhealth = 20000\n'; } >"$tmp/cap.toml"
"$ut" prepare-osm "$dir/classes.osm" --bbox 7.40,43.70,7.42,43.72 --profile "$tmp/cap.toml" --residents 1000 \
  --out "$tmp/cap.gpkg" >/dev/null
check "capacities: kindergartens 90, health 20000, the rest empty" \
'elderly_care|
fire_station|
health|20000.0
kindergarten|90.0
metro|
middle_school|
park|
primary_school|' "$(sqlite3 "$tmp/cap.gpkg" "select distinct classes, capacity from facilities order by classes")"
[ $failed -eq 0 ] && echo "all passed" || echo "$failed failed"
[ $failed -eq 0 ]
