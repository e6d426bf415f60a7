#!/usr/bin/env bash
# A private single-node Slurm (Debian's slurmctld + slurmd + munge, no slurmdbd) for tests:
# everything (config, state, spool, logs, munge socket) lives under DIR, on ports of its own, so
# it neither needs nor disturbs a system Slurm and two test runs do not collide.
#   start_slurm.sh DIR          start it; then `export SLURM_CONF=DIR/slurm.conf` for the clients
#   start_slurm.sh --stop DIR   stop the daemons it started, by their pids
# Needs root (slurmd runs jobs as their users). Facts of Debian 12 / Slurm 22.05 without systemd:
# apt starts no daemon; munged runs as the munge user; cgroup/v1 with proctrack/linuxproc and
# task/none lets slurmd start in a container in ~3 s.
set -u
if [ "${1:-}" = "--stop" ]; then
  dir="$2"
  for d in slurmd slurmctld munged; do
    f="$dir/$d.pid"
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    rm -f "$f"
  done
  exit 0
fi
dir="$1"
mkdir -p "$dir"/{state,spool,log,munge}
dir="$(cd "$dir" && pwd)"
host=$(hostname -s)
cpus=$(nproc)
# Ports of its own: two consecutive free ones, from the pid so that parallel runs differ.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=$((20000 + ($$ * 7) % 30000))
until port_free "$port" && port_free $((port + 1)); do port=$((port + 2)); done

# munged runs as the munge user: it must reach DIR (mktemp -d folders are 0700).
chmod 0755 "$dir"
su -s /bin/sh munge -c "test -x '$dir'" || { echo "the munge user cannot reach $dir (make its parent folders 0755)" >&2; exit 1; }
# munge: its own daemon and socket (the Debian package creates the key; the munge user must own
# what it touches).
chown munge:munge "$dir/munge"
chmod 0700 "$dir/munge"
su -s /bin/sh munge -c "munged --socket=$dir/munge/munge.socket.2 --pid-file=$dir/munge/munged.pid \
  --log-file=$dir/munge/munged.log --seed-file=$dir/munge/munged.seed --force" || { echo "munged failed to start" >&2; exit 1; }
for _ in $(seq 50); do [ -s "$dir/munge/munged.pid" ] && break; sleep 0.1; done
cp "$dir/munge/munged.pid" "$dir/munged.pid"

cat > "$dir/cgroup.conf" <<CONF
CgroupPlugin=cgroup/v1
CONF
cat > "$dir/slurm.conf" <<CONF
ClusterName=casttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid.conf
SlurmdPidFile=$dir/slurmd.pid.conf
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.txt
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=2
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
KillWait=10
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
slurmctld -D -c -i -f "$SLURM_CONF" > "$dir/log/slurmctld.out" 2>&1 &
echo $! > "$dir/slurmctld.pid"
slurmd -D -c -N "$host" -f "$SLURM_CONF" > "$dir/log/slurmd.out" 2>&1 &
echo $! > "$dir/slurmd.pid"
for _ in $(seq 120); do
  state=$(sinfo -h -n "$host" -o %t 2>/dev/null)
  case "$state" in idle*|mix*|alloc*) echo "slurm up on $host (ports $port, $((port + 1))), SLURM_CONF=$SLURM_CONF"; exit 0 ;; esac
  sleep 0.5
done
echo "slurm did not come up in 60 s (node state '${state:-none}'); logs:" >&2
tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" "$dir/log/slurmctld.out" "$dir/log/slurmd.out" >&2 2>/dev/null
exit 1
