#!/bin/sh
# shellcheck disable=SC2086  # EXTRA, EXTRA_STUDENT and a student's FLAGS are word-split into flags on purpose
# The GPU plan in one remote call of about 8 minutes: a 20-second smoke of every model, then three seeds of
# the FER2013 flagship (configs/flagship.toml) and two of the FER+ flagship (configs/flagship-ferplus.toml)
# side by side on the one GPU, then the compact students distilled from each ensemble, side by side
# (configs/flagship-student.toml, configs/flagship-ferplus-student.toml). Everything is sized by wall
# clock: TOTAL seconds for the whole call, whatever the GPU's speed. What comes back in $OUT fits a call
# that returns at most 8 files of 16 MiB, 64 MiB in all: five float16 flagships (10.4 MB each), two float16
# students (3.9 MB each) and one log archive.
#
# Before:  .venv/bin/ferkit data pack ../shared/datasets/fer2013.zip --ferplus --train-quantum 3 \
#              --out gpu-data/fer2013.npz.xz   (45.0 MB: train and PublicTest, duplicates dropped, FER+ votes,
#          training pixels within 1 grey level; gpu-data/ is in .git/info/exclude; with the tree, 61.8 MB)
# The call:    run(command="TOTAL=480 sh scripts/gpu_flagship.sh", carry=["gpu-data"], timeout_s=560)
# If the smoke fails the script stops within a minute and returns its logs: fix, then call again with a
# TOTAL that fits what is left.
#
# Settings: TOTAL (480), SMOKE (6: seconds of training per smoke model; 0 skips the smoke), SEEDS ("0 1 2";
# "" with FERPLUS_SEEDS "" trains students only, all the time theirs, from teachers given by path),
# FERPLUS_SEEDS ("0 1"; "" trains no FER+ flagship), BRING (the flagship runs whose weights come back; all by
# default), STUDENT_SHARE (0.32 of the time left after the smoke goes to the students), STUDENTS (one student
# per line, "NAME CONFIG TEACHERS [FLAGS...]": TEACHERS is a comma-separated weights list in which @fer2013
# and @ferplus stand for this call's flagship seeds, e.g. "@fer2013,default"), DEVICE (cuda), PACK, PYTHON
# (python3), THREADS (3 CPU threads per process), EXTRA / EXTRA_STUDENT (more `ferkit train` flags; the
# tests rehearse this script on the CPU with tiny ones). Not used: torch.compile (its compile time could not
# be measured before the lease, and five processes compiling at once would spend a fifth of the budget).
set -eu
TOTAL=${TOTAL:-480}
SMOKE=${SMOKE:-6}
SEEDS=${SEEDS-0 1 2}
FERPLUS_SEEDS=${FERPLUS_SEEDS-0 1}
STUDENTS=${STUDENTS:-"student configs/flagship-student.toml @fer2013
ferplus-student configs/flagship-ferplus-student.toml @ferplus"}
STUDENT_SHARE=${STUDENT_SHARE:-0.32}
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
        </dev/null >"$RUNS/$name.log" 2>&1 &
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

teachers_of() { # teachers_of PREFIX SEEDS: the comma-separated best checkpoints that exist
    list=""
    for seed in $2; do
        if [ -f "$RUNS/$1-seed$seed/best.safetensors" ]; then list="$list,$RUNS/$1-seed$seed/best.safetensors"; fi
    done
    echo "${list#,}"
}

# ---- smoke: every model for a few hundred steps on the real pack, a checkpoint written and read back
if [ "$SMOKE" != 0 ]; then
    small="--max-train 4096 --max-val 512 --save-every 1"
    train smoke-fer2013-seed0 configs/flagship.toml "$SMOKE" $small ${EXTRA:-}
    train smoke-ferplus-seed0 configs/flagship-ferplus.toml "$SMOKE" $small ${EXTRA:-}
    wait_all
    if [ "$FAILED" = 0 ]; then
        train smoke-student configs/flagship-student.toml "$SMOKE" $small ${EXTRA_STUDENT:-} \
            --teacher "$(teachers_of smoke-fer2013 0)"
        train smoke-ferplus-student configs/flagship-ferplus-student.toml "$SMOKE" $small ${EXTRA_STUDENT:-} \
            --teacher "$(teachers_of smoke-ferplus 0)"
        wait_all
    fi
    if [ "$FAILED" = 0 ]; then
        "$PYTHON" scripts/smoke_check.py "$PACK" "$DEVICE" "$RUNS"/smoke-*/best.safetensors >"$OUT/smoke.txt" 2>&1 ||
            FAILED=1
        cat "$OUT/smoke.txt"
    fi
    if [ "$FAILED" != 0 ]; then
        say "SMOKE FAILED: the last lines of each log follow; nothing else was run"
        for log in "$RUNS"/*.log; do
            echo "== $log"
            tail -n 15 "$log"
        done
        archive flagship
        exit 1
    fi
    say "smoke passed"
fi

# ---- flagships: three FER2013 seeds and two FER+ seeds side by side
# What is left after a margin for the last copies, split between the flagships and the students; each
# phase also loses about 15 s to start-up and its last validation, hence the 15 s taken off each budget.
left=$((TOTAL - $(elapsed) - 20))
flag_budget=$("$PYTHON" -c "import sys; print(max(5, int(int(sys.argv[1]) * (1 - float(sys.argv[2])) - 15)))" \
    "$left" "$STUDENT_SHARE")
say "flagships: $flag_budget s each (FER2013 seeds $SEEDS, FER+ seeds $FERPLUS_SEEDS)"
for seed in $SEEDS; do
    train fer2013-seed$seed configs/flagship.toml "$flag_budget" --seed "$seed" ${EXTRA:-}
done
for seed in $FERPLUS_SEEDS; do
    train ferplus-seed$seed configs/flagship-ferplus.toml "$flag_budget" --seed "$seed" ${EXTRA:-}
done
wait_all
say "flagships done ($FAILED failed)"
for run in "$RUNS"/fer2013-seed* "$RUNS"/ferplus-seed*; do
    [ -d "$run" ] || continue
    name=$(basename "$run")
    grep -h "best validation accuracy" "$run.log" | sed "s|^|$name: |" || true
    case " ${BRING-$name} " in *" $name "*) ;; *) continue ;; esac
    # Into $OUT at once: if anything later overruns the call, these still come back.
    if [ -f "$run/best.safetensors" ]; then cp "$run/best.safetensors" "$OUT/flagship-$name.safetensors"; fi
done

# ---- students: each distilled from its flagships' ensemble, side by side
student_budget=$((TOTAL - $(elapsed) - 35))
[ "$student_budget" -ge 5 ] || student_budget=5
say "students: $student_budget s each"
fer_teachers=$(teachers_of fer2013 "$SEEDS")
plus_teachers=$(teachers_of ferplus "$FERPLUS_SEEDS")
names=""
# (A redirected loop, not a pipe: the trainings it starts must be children of this shell to be waited for.)
while read -r name config teachers flags; do
    [ -n "$name" ] || continue
    case "$teachers" in *@fer2013*) [ -n "$fer_teachers" ] || continue ;; esac
    case "$teachers" in *@ferplus*) [ -n "$plus_teachers" ] || continue ;; esac
    teachers=$(echo "$teachers" | sed "s|@fer2013|$fer_teachers|; s|@ferplus|$plus_teachers|")
    train "$name" "$config" "$student_budget" --teacher "$teachers" $flags ${EXTRA_STUDENT:-}
    names="$names $name"
done <<EOF
$STUDENTS
EOF
wait_all
for name in $names; do
    grep -h "best validation accuracy" "$RUNS/$name.log" 2>/dev/null | sed "s|^|$name: |" || true
    if [ -f "$RUNS/$name/best.safetensors" ]; then cp "$RUNS/$name/best.safetensors" "$OUT/flagship-$name.safetensors"; fi
done
archive flagship
say "done ($FAILED failed): $(ls "$OUT" | tr '\n' ' ')"
[ "$FAILED" = 0 ]
