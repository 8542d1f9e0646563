#!/usr/bin/env bash
# The operator at scale (`make bench-scale`; issue 12): a real control plane (hack/k8s-binaries.sh), kwok faking GPU
# nodes, pod lifecycles and checkpoint volumes (hack/kwok.sh), and the real operator as a host process; N FineTuneJobs
# created in bursts next to plain pods, a steady-state window, a preemption wave. See ScaleBench and
# docs/benchmarks.md ("Operator at scale"). Everything runs niced, on 127.0.0.1, and stops by itself (about 10-20 min
# for 5,000 jobs on 2 cores when warm; the first run builds kwok, a few minutes).
#
# Environment (ScaleBench): JOBS (5000), BURST (500), BURST_PAUSE_S (5), RAW_EVERY (10: one plain pod per 10 jobs),
#   PODS_PER_NODE (110), CLIENT_THREADS (16), SETTLE_S (30), STEADY_S (120), WAVE_FRACTION (0.1), WAIT_S (600: how
#   long each phase may wait), OPERATOR_XMX (768m), OUT (target/bench-scale: report.md, metrics snapshots, logs/).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
OUT="${OUT:-$root/target/bench-scale}"
mkdir -p "$OUT"

nice bash hack/k8s-binaries.sh >/dev/null
nice bash hack/kwok.sh >/dev/null
echo "bench-scale: packaging the operator and the benchmarks module (offline)" >&2
nice mvn -B -q -o -pl operator,benchmarks -am package -DskipTests
nice mvn -B -q -o -pl benchmarks dependency:build-classpath -Dmdep.outputFile=target/scale-cp.txt \
  -Dmdep.includeScope=compile
CP="benchmarks/target/classes:devcluster/target/classes:$(tr ':' '\n' < benchmarks/target/scale-cp.txt | grep -v '/dev/annealer/' | paste -sd: -)"
echo "bench-scale: running (report: $OUT/report.md)" >&2
nice java -Xmx1g -XX:+UseSerialGC -cp "$CP" dev.annealer.benchmarks.scale.ScaleBench "$root" "$OUT"
