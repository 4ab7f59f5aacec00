#!/bin/sh
# CPU-size models trained on a GPU, side by side, in one device call of about 4.5 minutes: the shipped
# default's network without a teacher (configs/compact-w40.toml, the control), FER2013's seven classes
# taught by FER2013's labels mixed with FER+'s Training votes (configs/compact-ferplus-mix.toml, shares 0.5
# and 1.0), and FER+'s eight classes from the vote distributions (configs/compact-ferplus.toml, seeds 0
# and 1). Each is the recipe a CPU runs in 1-2 hours (120 epochs); on the GPU TOTAL caps it, and a run that
# reaches its last epoch first ends its schedule as it would on the CPU. Back in $OUT: five float32
# checkpoints (7.7 MB each) and one log archive.
#
# Needs the pack of gpu_flagship.sh's header (gpu-data/fer2013.npz.xz, FER+ votes inside).
# The call:  run(command="TOTAL=270 sh scripts/gpu_compact.sh", carry=["gpu-data"], timeout_s=300)
# Settings: TOTAL (270), DEVICE, PACK, PYTHON, THREADS, EXTRA (more `ferkit train` flags; default --amp).
set -eu
TOTAL=${TOTAL:-270}
EXTRA=${EXTRA:---amp}
. scripts/gpu_lib.sh

budget=$((TOTAL - $(elapsed) - 30))
say "five compact runs side by side, $budget s each at most"
# shellcheck disable=SC2086
train compact-w40 configs/compact-w40.toml "$budget" $EXTRA
# shellcheck disable=SC2086
train compact-ferplus-mix configs/compact-ferplus-mix.toml "$budget" $EXTRA
# shellcheck disable=SC2086
train compact-ferplus-mix1 configs/compact-ferplus-mix.toml "$budget" --ferplus-mix 1.0 $EXTRA
# shellcheck disable=SC2086
train compact-ferplus-seed0 configs/compact-ferplus.toml "$budget" $EXTRA
# shellcheck disable=SC2086
train compact-ferplus-seed1 configs/compact-ferplus.toml "$budget" --seed 1 $EXTRA
wait_all
for run in "$RUNS"/compact-*; do
    [ -d "$run" ] || continue
    name=$(basename "$run")
    grep -h "best validation accuracy" "$run.log" | sed "s|^|$name: |" || true
    if [ -f "$run/best.safetensors" ]; then cp "$run/best.safetensors" "$OUT/$name.safetensors"; fi
done
archive compact
say "done ($FAILED failed): $(ls "$OUT" | tr '\n' ' ')"
[ "$FAILED" = 0 ]
