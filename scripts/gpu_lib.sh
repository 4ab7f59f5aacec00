# Shared by the GPU scripts (gpu_flagship.sh, gpu_compact.sh), sourced after they set TOTAL and their own
# settings: where the pack, the runs and the results are, the wall clock, and `train`/`wait_all`, which run
# `ferkit train` processes side by side on the one GPU.
# shellcheck shell=sh
DEVICE=${DEVICE:-cuda}
PACK=${PACK:-gpu-data/fer2013.npz.xz}
PYTHON=${PYTHON:-python3}
THREADS=${THREADS:-3}
OUT=${OUT:?set OUT to the folder that receives the results}
RUNS=${RUNS:-$(mktemp -d)}
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
export FERKIT_CACHE_DIR="${FERKIT_CACHE_DIR:-$RUNS/cache}"
mkdir -p "$RUNS" "$OUT"
START=$(date +%s)
elapsed() { echo $(($(date +%s) - START)); }
say() { echo "[$(elapsed)s] $*" | tee -a "$RUNS/plan.log"; }

# train NAME CONFIG BUDGET [flags...]: one `ferkit train` in the background (its pid added to PIDS), its
# log in $RUNS/NAME.log. A hard stop at twice its budget plus a minute keeps a hung process from eating the
# lease. (Not called inside $(...): a process started in a subshell cannot be waited for here.)
PIDS=""
train() {
    name=$1 config=$2 budget=$3
    shift 3
    timeout -k 10 $((2 * budget + 60)) "$PYTHON" -m ferkit.cli train --config "$config" --data "$PACK" \
        --device "$DEVICE" --threads "$THREADS" --time-budget-s "$budget" --out "$RUNS/$name" "$@" \
        >"$RUNS/$name.log" 2>&1 &
    PIDS="$PIDS $!"
}

# wait_all: wait for every process in PIDS; FAILED counts those that failed.
FAILED=0
wait_all() {
    for pid in $PIDS; do wait "$pid" || FAILED=$((FAILED + 1)); done
    PIDS=""
}


say "python $("$PYTHON" -c 'import sys, lzma; print(sys.version.split()[0])'), torch $("$PYTHON" -c 'import torch; print(torch.__version__, "| cuda:", torch.cuda.is_available() and torch.cuda.get_device_name(0))')"
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv,noheader 2>/dev/null | tee -a "$RUNS/plan.log" || true
# Decode the pack once (and the FER+ labels once), so the processes below read the cache rather than all
# decoding at the same time.
"$PYTHON" -c 'import sys; from ferkit.data.dataset import load_dataset as l; print(len(l(sys.argv[1])), "images,",
len(l(sys.argv[1], ferplus="shipped", label_mode="crossentropy")), "with FER+ labels")' "$PACK" | tee -a "$RUNS/plan.log"

# archive NAME: the log archive $OUT/NAME-logs.tgz: logs, metrics, curves and configs; no weights, resume
# states or caches.
archive() {
    mv "$OUT/smoke.txt" "$RUNS/" 2>/dev/null || true
    tar -czf "$OUT/$1-logs.tgz" -C "$RUNS" --exclude=best.safetensors --exclude=state --exclude=cache .
}
