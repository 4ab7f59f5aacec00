#!/bin/sh
# Issue 13's GPU flagship in one device call (under its 10-minute limit): train one model per seed in
# SEEDS side by side on the one GPU (a small network leaves an H100 mostly idle, so three seeds cost
# little more than one), then put each best checkpoint (float16) and one archive of the logs, metrics
# and resolved configs in $OUT (the device tool brings back at most 8 files of 16 MiB).
#
# Here, once:   .venv/bin/ferkit data pack ../shared/datasets/fer2013.zip --out gpu-data/fer2013.npz.xz
#               (gpu-data/ is listed in .git/info/exclude; the pack is 55 MB, the call carries 64 MiB)
# Device call:  run(command="SEEDS='0 1 2' sh scripts/gpu_flagship.sh", carry=["gpu-data"])
# Settings:     CONFIG (configs/flagship.toml), SEEDS ("0"), BUDGET (seconds of training per model,
#               default the config's), DEVICE (cuda), PACK, PYTHON (python3), EXTRA (more `ferkit
#               train` flags; the tests run this script on the CPU with a tiny EXTRA).
#               STUDENT (a config, e.g. configs/flagship-student.toml): afterwards, distil the seeds'
#               ensemble into that student in the same call, for STUDENT_BUDGET seconds. It has to be
#               the same call: the pack (55 MB) and three teachers (10 MB each) do not fit one carry.
# One call, about 9.5 minutes:  SEEDS='0 1 2' BUDGET=330 STUDENT=configs/flagship-student.toml
#               STUDENT_BUDGET=150 sh scripts/gpu_flagship.sh
# The carry is tight: the working tree is 10.7 MB, the pack 55.3 MB, the limit 67.1 MB.
set -eu
CONFIG=${CONFIG:-configs/flagship.toml}
SEEDS=${SEEDS:-0}
DEVICE=${DEVICE:-cuda}
PACK=${PACK:-gpu-data/fer2013.npz.xz}
PYTHON=${PYTHON:-python3}
OUT=${OUT:?set OUT to the folder that receives the results}
RUNS=${RUNS:-$(mktemp -d)}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export FERKIT_CACHE_DIR="${FERKIT_CACHE_DIR:-$RUNS/cache}"
mkdir -p "$RUNS"
name=$(basename "$CONFIG" .toml)

"$PYTHON" -c 'import torch; print("torch", torch.__version__, "| cuda:", torch.cuda.is_available() and torch.cuda.get_device_name(0))'
# Decode the pack once, before the seeds start, so they do not all do it at the same time.
"$PYTHON" -c 'import sys; from ferkit.data.dataset import load_dataset; print(len(load_dataset(sys.argv[1])), "images")' "$PACK"

pids=""
for seed in $SEEDS; do
    "$PYTHON" -m ferkit.cli train --config "$CONFIG" --data "$PACK" --device "$DEVICE" --seed "$seed" \
        ${BUDGET:+--time-budget-s "$BUDGET"} ${EXTRA:-} --out "$RUNS/$name-seed$seed" \
        >"$RUNS/$name-seed$seed.log" 2>&1 &
    pids="$pids $!"
done
failed=0
for pid in $pids; do wait "$pid" || failed=1; done

if [ -n "${STUDENT:-}" ]; then
    teachers=$(for seed in $SEEDS; do printf '%s,' "$RUNS/$name-seed$seed/best.safetensors"; done)
    student=$(basename "$STUDENT" .toml)
    "$PYTHON" -m ferkit.cli train --config "$STUDENT" --data "$PACK" --device "$DEVICE" \
        --teacher "${teachers%,}" ${STUDENT_BUDGET:+--time-budget-s "$STUDENT_BUDGET"} ${EXTRA_STUDENT:-} \
        --out "$RUNS/$student" >"$RUNS/$student.log" 2>&1 || failed=1
fi

mkdir -p "$OUT"
for seed in $SEEDS; do
    run="$RUNS/$name-seed$seed"
    tail -n 3 "$run.log"
    if [ -f "$run/best.safetensors" ]; then cp "$run/best.safetensors" "$OUT/$name-seed$seed.safetensors"; fi
done
if [ -n "${STUDENT:-}" ]; then
    tail -n 3 "$RUNS/$student.log"
    if [ -f "$RUNS/$student/best.safetensors" ]; then cp "$RUNS/$student/best.safetensors" "$OUT/$student.safetensors"; fi
fi
tar -czf "$OUT/$name-logs.tgz" -C "$RUNS" --exclude=best.safetensors --exclude=state --exclude=cache .
exit "$failed"
