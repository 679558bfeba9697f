#!/usr/bin/env bash
# A second test set from outside the training sources: the photographs among the Ubuntu Touch
# wallpapers in Debian's lomiri-wallpapers-16.04 and -20.04 (CC-BY / CC-BY-SA / CC0, see each
# package's copyright file). Nothing of these packages is trained on; the artwork (gradients,
# paintings, patterns) is left out by name.
#   bash train/recipes/outside_test.sh [MODEL] [DIR]
set -euo pipefail
MODEL=${1:-colorcli/weights/default.pt}
DIR=${2:-runs/outside-test}
PHOTOS="aitzgorri_by_Aitzol_Berasategi Bridge_by_Sander_Klootwijk Dragonfly_by_Bolly
  free_by_Peter_Nerlich friends_by_Aitzol_Berasategi greentock_by_Peter_Nerlich
  Kleiber_by_Lukas_Baubkus life_by_Aitzol_Berasategi picosdeeuropa_by_Aitzol_Berasategi
  Picture_0B_by_freespace Picture_1A_by_freespace seeding_by_Clements_Engelhardt
  sunset_by_Aitzol_Berasategi Wine_by_Jakkub_Mede"
if [ ! -d "$DIR/photos" ]; then
  mkdir -p "$DIR/pkg" "$DIR/photos"
  (cd "$DIR/pkg" && apt-get download lomiri-wallpapers-16.04 lomiri-wallpapers-20.04)
  for deb in "$DIR"/pkg/*.deb; do dpkg -x "$deb" "$DIR/pkg/x"; done
  for p in $PHOTOS; do cp "$DIR/pkg/x/usr/share/backgrounds/$p.jpg" "$DIR/photos/"; done
fi
echo "$(ls "$DIR/photos" | wc -l) photos in $DIR/photos"
# the photos are up to 6028 px wide: compare at short side 768
colorize eval --model "$MODEL" --data "$DIR/photos" --resize 768 \
  --json "$DIR/eval.json" --sheet "$DIR/eval.png"
