#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for the tests and for trying `agevae sweep --launcher slurm`.
#   bash scripts/slurm_cluster.sh start DIR   # installs slurm-wlm and munge where missing (Debian, as root), then starts
#                                              # munged, slurmctld and slurmd with everything in DIR; prints the SLURM_CONF line
#   bash scripts/slurm_cluster.sh stop DIR    # stops the daemons it started
# Everything lives in DIR: slurm.conf, the munge key, sockets, spool, state, logs and pid files. The script writes
# nothing to /etc/slurm or /etc/munge and starts no system service (installing Debian's munge package does create its
# own default key there, unused here), so a real installation on the machine is not touched. Clients need the printed
#   export SLURM_CONF=DIR/slurm.conf
# (the munge socket is named in slurm.conf, so nothing else is needed). One node with this machine's CPUs and memory,
# one partition `debug`, process tracking without cgroups (proctrack/linuxproc, task/none).
set -euo pipefail
cmd=${1:-}; dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)

ours() {                                                               # pid $1 is daemon $2 started with this DIR's files
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' < "/proc/$1/cmdline" | grep -q "$2" && tr '\0' '\n' < "/proc/$1/environ" 2>/dev/null | grep -q -x "SLURM_CONF=$dir/slurm.conf"
}

stop() {
  local pids=() pid p
  if [ -s "$dir/slurmctld.pid" ]; then                                 # the jobs first: their processes outlive slurmd
    SLURM_CONF="$dir/slurm.conf" scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 50); do [ -z "$(SLURM_CONF="$dir/slurm.conf" squeue -h 2>/dev/null)" ] && break; sleep 0.2; done
  fi
  for p in slurmd slurmctld munged; do
    if [ -s "$dir/$p.pid" ]; then
      pid=$(cat "$dir/$p.pid")
      if ours "$pid" "$p" && kill "$pid" 2>/dev/null; then pids+=("$pid"); fi
    fi
  done
  for pid in "${pids[@]}"; do                                          # until each has exited (10 s at most)
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  rm -f "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"
}

if [ "$cmd" = stop ]; then stop; echo "slurm cluster in $dir stopped"; exit 0; fi
if [ "$cmd" != start ]; then echo "usage: $0 start|stop DIR" >&2; exit 2; fi

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "slurm-wlm and munge are not installed, and this is not a Debian machine where root can install them" >&2; exit 3
  fi
  echo "== installing slurm-wlm and munge (apt-get; their system services are not started)"
  policy=/usr/sbin/policy-rc.d; made=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; made=1; fi
  if apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  then rc=0; else rc=$?; fi
  if [ "$made" = 1 ]; then rm -f "$policy"; fi
  if [ "$rc" != 0 ]; then echo "could not install slurm-wlm and munge (apt-get: exit $rc)" >&2; exit 3; fi
fi

stop                                                                   # a cluster left running in DIR
start=$(date +%s.%N)
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$dir/spool" "$dir/state" "$dir/munge"
chmod 700 "$dir/munge"
[ -s "$dir/munge/munge.key" ] || { head -c 1024 /dev/urandom > "$dir/munge/munge.key"; chmod 400 "$dir/munge/munge.key"; }
cat > "$dir/slurm.conf" <<EOF
ClusterName=agevae-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
SlurmctldPort=${SLURMCTLD_PORT:-46817}
SlurmdPort=${SLURMD_PORT:-46818}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
KillWait=10
SchedulerType=sched/backfill
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$dir/slurm.conf"
trap 'rc=$?; echo "slurm cluster failed to start (exit $rc); see the logs in $dir" >&2; stop; exit $rc' ERR
munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
       --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"
slurmctld -i
slurmd
for _ in $(seq 150); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q -x 'idle'; then
    printf 'slurm cluster up in %.1f s: node %s, %s CPUs, partition debug\nexport SLURM_CONF=%s\n' \
      "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {print b - a}')" "$host" "$cpus" "$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "slurm cluster did not come up within 30 s; see $dir/slurmctld.log and $dir/slurmd.log:" >&2
tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
stop; exit 4
