#!/usr/bin/env bash
# Fluxo's cluster lab: a real one-node Slurm 22.05 cluster and real OpenSSH servers on loopback,
# for the integration tests (test/integration/slurm.test.ts and the SSH tests). Debian 12, root,
# no systemd needed. What it starts and why is in test/cluster/README.md.
#
#   lab.sh up     [DIR]   install missing Debian packages, write the configs into DIR, start munged,
#                         (mariadbd, slurmdbd,) slurmctld, slurmd, the login sshd and the jump-host
#                         sshd, prove a job submitted over ssh runs, then write DIR/lab.env
#   lab.sh down   [DIR]   cancel the lab's jobs and stop exactly the processes DIR/run records
#   lab.sh status [DIR]   what runs (exit 1 if a recorded daemon died)
#   lab.sh env    [DIR]   print DIR/lab.env (exit 1 when the lab is not up)
#   lab.sh purge  [DIR]   down, then delete DIR and the lab's PAM service file
#   lab.sh stop NAME [DIR]  stop one daemon (munged mariadbd slurmdbd slurmctld slurmd sshd
#                         sshd-jump), for fault tests; "up" starts it again
#
# DIR: $LAB_DIR, else <repo>/.lab. It must be absolute, made of [A-Za-z0-9._/-], and every parent
# must be world-traversable (munged, slurmd and the test users reach into it).
#
# Knobs (environment)                                             default
#   SSH_PORT       login sshd, public key only                    2222
#   SSH_PW_PORT    login sshd, password + keyboard-interactive    2223
#                  (TOTP "Verification code:" for LAB_OTP_USER)
#   SSH_JUMP_PORT  jump-host sshd (key only, forwards to the two  2224
#                  login ports and nothing else)
#   SLURMCTLD_PORT SLURMD_PORT                                    6817 6818
#   WITH_DBD       MariaDB + slurmdbd, so sacct works; 0: without 1
#   DBD_PORT MYSQL_PORT                                           6819 3307
#   LAB_CPUS LAB_MEMORY_MB LAB_GPUS   what the node advertises    8 16000 2
#   CPU_MAX_MINUTES GPU_MAX_MINUTES  partition time limits        maxTimeMinutes of each
#                  partition in resources/targets/lab.yaml, else 60
#   MIN_JOB_AGE    seconds a finished job stays visible to squeue 300
#   LAB_USER LAB_PASSWORD           key + password user           hpcuser hpcuser-pw
#   LAB_OTP_USER LAB_OTP_PASSWORD   password + TOTP user          hpcotp hpcotp-pw
#   LAB_OTP_SECRET                  its base32 TOTP secret        JBSWY3DPEHPK3PXP...
#   LAB_JUMP_USER                   the jump host's user          hpcjump
#   LAB_KEY_PASSPHRASE              of the encrypted client key   lab-passphrase
#   LAB_NODE_SOFTWARE  Debian packages jobs use: python3 with the   see below
#                  blocks' science stack, the genomics tools ("" for none)
#   READY_TIMEOUT  seconds to wait for each daemon                60
#   VERIFY=0       skip the end-to-end checks at the end of "up"  1
set -Eeuo pipefail
umask 022

CMD=${1:-up}
STOP_NAME=
if [ "$CMD" = stop ]; then  # lab.sh stop NAME [DIR]
  STOP_NAME=${2:-}
  shift
fi
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${2:-${LAB_DIR:-$REPO/.lab}}
: "${SSH_PORT:=2222}" "${SSH_PW_PORT:=2223}" "${SSH_JUMP_PORT:=2224}"
: "${SLURMCTLD_PORT:=6817}" "${SLURMD_PORT:=6818}"
: "${WITH_DBD:=1}" "${DBD_PORT:=6819}" "${MYSQL_PORT:=3307}"
: "${LAB_CPUS:=8}" "${LAB_MEMORY_MB:=16000}" "${LAB_GPUS:=2}" "${MIN_JOB_AGE:=300}"
# The lab is the cluster resources/targets/lab.yaml describes: Slurm must enforce the same time
# limits the compiler checks, or sbatch --test-only would not test the profile.
profile_minutes() {
  local m
  m=$(awk -v want="$1" '/^  - name: /{p=$3} /^    maxTimeMinutes:/{if (p == want) print $2}' "$REPO/resources/targets/lab.yaml" 2>/dev/null)
  if [[ "$m" =~ ^[0-9]+$ ]]; then echo "$m"; else echo 60; fi
}
: "${CPU_MAX_MINUTES:=$(profile_minutes cpu)}" "${GPU_MAX_MINUTES:=$(profile_minutes gpu)}"
: "${LAB_USER:=hpcuser}" "${LAB_PASSWORD:=hpcuser-pw}"
: "${LAB_OTP_USER:=hpcotp}" "${LAB_OTP_PASSWORD:=hpcotp-pw}"
: "${LAB_OTP_SECRET:=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP}"
: "${LAB_JUMP_USER:=hpcjump}"
: "${LAB_KEY_PASSPHRASE:=lab-passphrase}"
: "${READY_TIMEOUT:=60}" "${VERIFY:=1}"
# What jobs find on the compute node (this machine): Debian's python3 with the packages the
# blocks import, and the genomics tools. .ci/run installs the same for the local tests.
: "${LAB_NODE_SOFTWARE=python3 python3-sklearn python3-pandas python3-numpy python3-matplotlib python3-joblib python3-scipy python3-skimage python3-torch python3-pydicom python3-nibabel python3-pysam fastp bwa samtools bcftools}"

T0=$(date +%s%N)
say() { printf '[lab %6.1fs] %s\n' "$(( ($(date +%s%N) - T0) / 1000000 ))e-3" "$*"; }
die() { echo "lab.sh: error: $*" >&2; exit 1; }

case "$DIR" in
  /*) ;;
  *) die "DIR must be an absolute path, got '$DIR'" ;;
esac
DIR=${DIR%/}
# Every path below lands unquoted in slurm.conf, sshd_config and PAM lines, which have no quoting.
[[ "$DIR" =~ ^[A-Za-z0-9._/-]+$ ]] || die "DIR may only contain letters, digits and . _ / - (it is written into slurm.conf and sshd_config): '$DIR'"

NODE=$(hostname -s 2>/dev/null || hostname)
LABID=$(printf '%s' "$DIR" | md5sum | cut -c1-8)
# sshd uses the basename of argv[0] as its PAM service name: starting it through a symlink with
# this name gives the lab its own PAM stack (TOTP) and leaves the system's sshd stack untouched.
PAM_SERVICE=sshd-fluxolab-$LABID
PAM_FILE=/etc/pam.d/$PAM_SERVICE
CONF=$DIR/etc/slurm.conf
# Without SLURM_CONF every Slurm client tries a DNS SRV lookup for the controller and fails.
export SLURM_CONF=$CONF
DAEMONS=(munged mariadbd slurmdbd slurmctld slurmd sshd sshd-jump)
# What a login shell of a test user gets; jobs inherit it, so python3 is Debian's /usr/bin/python3.
USER_PATH=/usr/local/bin:/usr/bin:/bin

# ---------------------------------------------------------------- process records
# A daemon the lab starts is recorded as "PID STARTTIME" in DIR/run/NAME.pid. STARTTIME (field 22
# of /proc/PID/stat) makes sure "down" never signals an unrelated process that reuses the PID.
starttime() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  # shellcheck disable=SC2086 # split the fields on purpose
  set -- $s
  echo "${20}"
}
running() {  # exists and is not a zombie (kill -0 succeeds for zombies)
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}
recorded_pid() {
  local f=$DIR/run/$1.pid pid st
  [ -f "$f" ] || return 1
  read -r pid st <"$f" || return 1
  [ -n "${pid:-}" ] && [ "$(starttime "$pid" 2>/dev/null)" = "$st" ] && running "$pid" && echo "$pid"
}
alive() { recorded_pid "$1" >/dev/null; }
start_daemon() {  # start_daemon NAME CMD...: a foreground-mode daemon in its own session
  local name=$1 pid st
  shift
  (cd / && exec setsid "$@") >>"$DIR/log/$name.out" 2>&1 </dev/null &
  pid=$!
  st=$(starttime "$pid") || { tail -20 "$DIR/log/$name.out" >&2; die "$name exited at once"; }
  echo "$pid $st" >"$DIR/run/$name.pid"
}
children_of() {
  local p k v
  for p in /proc/[0-9]*; do
    while read -r k v; do
      if [ "$k" = PPid: ]; then
        if [ "$v" = "$1" ]; then echo "${p#/proc/}"; fi
        break
      fi
    done 2>/dev/null <"$p/status" || true
  done
}
descendants_of() {
  local c
  for c in $(children_of "$1"); do
    echo "$c"
    descendants_of "$c"
  done
}
stop_pid() {  # TERM, then KILL after 15 s
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 150); do
    running "$pid" || return 0
    sleep 0.1
  done
  say "${2:-pid $pid} ignored SIGTERM for 15 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}
stop_recorded() {
  local pid
  if pid=$(recorded_pid "$1"); then
    say "stopping $1 (pid $pid)"
    stop_pid "$pid" "$1"
  fi
  rm -f "$DIR/run/$1.pid"
}
stop_sshd() {  # the listener, then the session processes it forked (they would outlive it)
  local pid kids k
  if pid=$(recorded_pid "$1"); then
    kids=$(descendants_of "$pid" | tr '\n' ' ')
    say "stopping $1 (pid $pid) and its sessions: ${kids:-none}"
    stop_pid "$pid" "$1"
    for k in $kids; do kill -TERM "$k" 2>/dev/null || true; done
    for k in $kids; do stop_pid "$k"; done
  fi
  rm -f "$DIR/run/$1.pid"
}
wait_for() {  # wait_for WHAT DAEMON CMD...: poll CMD every 0.1 s while DAEMON lives
  local what=$1 name=$2 i
  shift 2
  for i in $(seq 1 $((READY_TIMEOUT * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! alive "$name"; then
      tail -30 "$DIR/log/$name.out" "$DIR/log/$name.log" 2>/dev/null >&2 || true
      die "$name died while waiting for $what (logs in $DIR/log)"
    fi
    sleep 0.1
  done
  die "timed out after ${READY_TIMEOUT}s waiting for $what (logs in $DIR/log)"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
need_free_port() {  # sshd keeps running when one ListenAddress fails, so check before starting
  if port_open "$1"; then die "127.0.0.1:$1 (for $2) is taken by another process: set $3 to a free port"; fi
}

# ---------------------------------------------------------------- packages and users
install_packages() {
  local p missing=() made_policy=0 rc=0
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  # Package scripts would otherwise start system-wide services: sshd on :22, munged, slurm*.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# fluxo lab.sh: no service starts while it installs packages\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${missing[@]}" >"$DIR/log/apt.log" 2>&1 ||
    { apt-get update -q >>"$DIR/log/apt.log" 2>&1 &&
      apt-get install -y -q --no-install-recommends "${missing[@]}" >>"$DIR/log/apt.log" 2>&1; } || rc=$?
  if [ $made_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
  [ $rc = 0 ] || { tail -20 "$DIR/log/apt.log" >&2; die "apt-get install ${missing[*]} failed (log: $DIR/log/apt.log)"; }
}

ensure_user() {  # ensure_user NAME PASSWORD: an ordinary user with a home and bash
  local name=$1 home
  if ! id "$name" >/dev/null 2>&1; then useradd -m -s /bin/bash "$name"; fi
  [ "$(id -u "$name")" != 0 ] || die "test user $name is root: the lab needs ordinary users"
  echo "$name:$2" | chpasswd
  home=$(getent passwd "$name" | cut -d: -f6)
  install -d -o "$name" -g "$name" -m 755 "$home"
  install -d -o "$name" -g "$name" -m 700 "$home/.ssh"
}

authorize_keys() {  # the lab's client public keys, nothing else, for NAME
  local name=$1 home
  home=$(getent passwd "$name" | cut -d: -f6)
  cat "$DIR"/ssh/client/*.pub >"$home/.ssh/authorized_keys"
  chown "$name:$name" "$home/.ssh/authorized_keys"
  chmod 600 "$home/.ssh/authorized_keys"
}

# ---------------------------------------------------------------- configuration files
# A configuration is staged beside its file first: a daemon that runs keeps the file it read, so
# a change is refused (and nothing written) until "down", else a later "up" would see no change.
CHANGED=()
stage_config() {  # stage_config DEST < content
  local dest=$1
  cat >"$dest.lab-next"
  if [ -f "$dest" ] && cmp -s "$dest.lab-next" "$dest"; then
    rm -f "$dest.lab-next"
  else
    CHANGED+=("$dest")
  fi
}
commit_configs() {
  local n f
  [ ${#CHANGED[@]} -gt 0 ] || return 0
  for n in "${DAEMONS[@]}"; do
    if alive "$n"; then
      for f in "${CHANGED[@]}"; do rm -f "$f.lab-next"; done
      die "the configuration would change (${CHANGED[*]}) while $n runs: run 'lab.sh down $DIR' first"
    fi
  done
  for f in "${CHANGED[@]}"; do
    chmod 644 "$f.lab-next"
    mv "$f.lab-next" "$f"
  done
}

slurm_conf() {
  local accounting
  if [ "$WITH_DBD" = 1 ]; then
    # AccountingStoragePass names the munge socket: slurmctld's connection to slurmdbd ignores
    # AuthInfo and would look for the system socket otherwise.
    accounting="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=$DBD_PORT
AccountingStoragePass=$DIR/munge/munge.socket
AccountingStorageTRES=gres/gpu"
  else
    accounting="AccountingStorageType=accounting_storage/none"
  fi
  cat <<EOF
# Written by test/cluster/lab.sh: Fluxo's one-node test cluster (resources/targets/lab.yaml).
ClusterName=fluxolab
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$SLURMCTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$DIR/munge/munge.socket
# Listen on 127.0.0.1 only, never on every interface.
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pidfile
SlurmdPidFile=$DIR/run/slurmd.pidfile
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
MailProg=/bin/true
# No systemd and no cgroups in a container: track processes by parent PID.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# Advertise the node of resources/targets/lab.yaml whatever the machine has.
SlurmdParameters=config_overrides
MinJobAge=$MIN_JOB_AGE
KillWait=5
JobCompType=jobcomp/filetxt
JobCompLoc=$DIR/log/jobcomp.log
$accounting
GresTypes=gpu
NodeName=$NODE NodeHostname=$NODE NodeAddr=127.0.0.1 CPUs=$LAB_CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$LAB_CPUS ThreadsPerCore=1 RealMemory=$LAB_MEMORY_MB Gres=gpu:$LAB_GPUS State=UNKNOWN
# Refuse at submission a job over a partition's limits, as production sites do; the default
# (NO) queues it forever, and sbatch --test-only would accept it.
EnforcePartLimits=ALL
PartitionName=cpu Nodes=$NODE Default=YES MaxTime=$CPU_MAX_MINUTES State=UP
PartitionName=gpu Nodes=$NODE MaxTime=$GPU_MAX_MINUTES State=UP
EOF
}

gres_conf() {
  cat <<EOF
# A GPU without File= is dropped ("Ignoring file-less GPU") and the node goes INVAL, so each
# pretend GPU is a device file. Nothing opens them (TaskPlugin=task/none); a job that asks
# --gres=gpu:N gets CUDA_VISIBLE_DEVICES like on a real GPU node.
AutoDetect=off
NodeName=$NODE Name=gpu File=$DIR/dev/nvidia[0-$((LAB_GPUS - 1))]
EOF
}

sshd_common() {  # sshd_common NAME
  cat <<EOF
PidFile $DIR/run/$1.pidfile
LogLevel VERBOSE
PermitRootLogin no
AuthorizedKeysFile .ssh/authorized_keys
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:200
# The OpenSSH default, written out because clients must live with it: the 11th channel on one
# connection fails with "Channel open failure", as on real login nodes.
MaxSessions 10
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
}

sshd_login_conf() {
  cat <<EOF
# Written by test/cluster/lab.sh: the login node. Started as $DIR/bin/$PAM_SERVICE so that PAM
# uses $PAM_FILE.
ListenAddress 127.0.0.1:$SSH_PORT
ListenAddress 127.0.0.1:$SSH_PW_PORT
HostKey $DIR/ssh/login/ssh_host_ed25519_key
HostKey $DIR/ssh/login/ssh_host_ecdsa_key
HostKey $DIR/ssh/login/ssh_host_rsa_key
UsePAM yes
AllowUsers $LAB_USER $LAB_OTP_USER
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
# Commands run over ssh (ssh host sbatch ...) find the cluster through this.
SetEnv SLURM_CONF=$CONF
$(sshd_common sshd)
Match LocalPort $SSH_PORT
    AuthenticationMethods publickey
Match LocalPort $SSH_PW_PORT
    PubkeyAuthentication no
    PasswordAuthentication yes
    KbdInteractiveAuthentication yes
EOF
}

sshd_jump_conf() {
  cat <<EOF
# Written by test/cluster/lab.sh: a jump host (ProxyJump) in front of the login node. Its own
# host keys, its own user, public keys only; it forwards to the login ports and nowhere else.
ListenAddress 127.0.0.1:$SSH_JUMP_PORT
HostKey $DIR/ssh/jump/ssh_host_ed25519_key
HostKey $DIR/ssh/jump/ssh_host_ecdsa_key
HostKey $DIR/ssh/jump/ssh_host_rsa_key
UsePAM no
AllowUsers $LAB_JUMP_USER
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding local
PermitOpen 127.0.0.1:$SSH_PORT 127.0.0.1:$SSH_PW_PORT localhost:$SSH_PORT localhost:$SSH_PW_PORT
PermitTTY no
$(sshd_common sshd-jump)
EOF
}

pam_conf() {
  cat <<EOF
# Written by test/cluster/lab.sh for its sshd ($DIR). Keyboard-interactive asks "Password:",
# then "Verification code:" (TOTP) for users with a secret in $DIR/ssh/totp/; nodelay avoids
# the 2 s pause after a wrong password, which would slow the failure tests.
auth     required pam_unix.so nodelay
auth     required pam_google_authenticator.so nullok user=root secret=$DIR/ssh/totp/\${USER}
account  required pam_unix.so
session  required pam_unix.so
password required pam_deny.so
EOF
}

dbd_conf() {
  cat <<EOF
# Written by test/cluster/lab.sh
AuthType=auth/munge
AuthInfo=socket=$DIR/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
SlurmUser=slurm
DebugLevel=info
LogFile=$DIR/log/slurmdbd.log
PidFile=$DIR/run/slurmdbd.pidfile
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$MYSQL_PORT
StorageUser=slurm
StoragePass=fluxolab-db
StorageLoc=slurm_acct_db
EOF
}

# For OpenSSH clients, and for tests that import hosts from an ssh config: every lab host by name.
ssh_client_conf() {
  cat <<EOF
# Written by test/cluster/lab.sh. Example: ssh -F $DIR/ssh/config fluxolab sinfo
Host fluxolab
    HostName 127.0.0.1
    Port $SSH_PORT
    User $LAB_USER
Host fluxolab-via-jump
    HostName 127.0.0.1
    Port $SSH_PORT
    User $LAB_USER
    ProxyJump fluxolab-jump
Host fluxolab-jump
    HostName 127.0.0.1
    Port $SSH_JUMP_PORT
    User $LAB_JUMP_USER
Host fluxolab-otp
    HostName 127.0.0.1
    Port $SSH_PW_PORT
    User $LAB_OTP_USER
    PreferredAuthentications keyboard-interactive,password
Host fluxolab*
    IdentityFile $DIR/ssh/client/id_ed25519
    IdentitiesOnly yes
    UserKnownHostsFile $DIR/ssh/known_hosts
    StrictHostKeyChecking yes
    ConnectTimeout 10
EOF
}

fingerprint() { ssh-keygen -l -E sha256 -f "$1" | awk '{print $2}'; }
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }  # single-quote for lab.env (read by bash and by test/cluster/lab.ts)

write_env() {
  local home t T tmp
  home=$(getent passwd "$LAB_USER" | cut -d: -f6)
  tmp=$(mktemp "$DIR/lab.env.XXXXXX")
  {
    echo "# Written by test/cluster/lab.sh up; removed by lab.sh down. Read by test/cluster/lab.ts."
    for kv in \
      "LAB_DIR=$DIR" "SLURM_CONF=$CONF" "LAB_NODE=$NODE" "LAB_HOST=127.0.0.1" \
      "LAB_SLURM_VERSION=$(dpkg-query -W -f='${Version}' slurmctld)" \
      "LAB_PARTITIONS=cpu,gpu" "LAB_CPUS=$LAB_CPUS" "LAB_MEMORY_MB=$LAB_MEMORY_MB" "LAB_GPUS=$LAB_GPUS" \
      "LAB_CPU_MAX_MINUTES=$CPU_MAX_MINUTES" "LAB_GPU_MAX_MINUTES=$GPU_MAX_MINUTES" "LAB_WITH_DBD=$WITH_DBD" \
      "LAB_SSH_PORT=$SSH_PORT" "LAB_SSH_PW_PORT=$SSH_PW_PORT" "LAB_SSH_JUMP_PORT=$SSH_JUMP_PORT" \
      "LAB_USER=$LAB_USER" "LAB_PASSWORD=$LAB_PASSWORD" "LAB_USER_HOME=$home" "LAB_USER_PATH=$USER_PATH" \
      "LAB_OTP_USER=$LAB_OTP_USER" "LAB_OTP_PASSWORD=$LAB_OTP_PASSWORD" "LAB_OTP_SECRET=$LAB_OTP_SECRET" \
      "LAB_JUMP_USER=$LAB_JUMP_USER" \
      "LAB_SSH_KEY=$DIR/ssh/client/id_ed25519" "LAB_SSH_KEY_ENCRYPTED=$DIR/ssh/client/id_ed25519_pass" \
      "LAB_KEY_PASSPHRASE=$LAB_KEY_PASSPHRASE" "LAB_SSH_KEY_RSA_PEM=$DIR/ssh/client/id_rsa" \
      "LAB_KNOWN_HOSTS=$DIR/ssh/known_hosts" "LAB_SSH_CONFIG=$DIR/ssh/config"; do
      echo "export ${kv%%=*}=$(q "${kv#*=}")"
    done
    for t in ed25519 ecdsa rsa; do
      T=$(echo "$t" | tr '[:lower:]' '[:upper:]')
      echo "export LAB_HOSTKEY_SHA256_$T=$(q "$(fingerprint "$DIR/ssh/login/ssh_host_${t}_key.pub")")"
      echo "export LAB_JUMP_HOSTKEY_SHA256_$T=$(q "$(fingerprint "$DIR/ssh/jump/ssh_host_${t}_key.pub")")"
    done
  } >"$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$DIR/lab.env"
}

# ---------------------------------------------------------------- up
node_state() { scontrol -o show node "$NODE" 2>/dev/null | grep -o 'State=[^ ]*' | cut -d= -f2; }
node_ready() {
  case "$(node_state)" in
    *DRAIN* | *DOWN* | *INVAL* | *NOT_RESPONDING* | *FAIL* | "") return 1 ;;
    IDLE* | MIXED* | ALLOCATED* | COMPLETING*) return 0 ;;
    *) return 1 ;;
  esac
}

prepare() {
  [ "$(id -u)" = 0 ] || die "lab.sh up must run as root (it starts munged, slurmd and sshd)"
  [ -r /etc/debian_version ] || die "lab.sh needs Debian (apt, Slurm 22.05 packages)"
  local a=$DIR
  while [ "$a" != / ]; do
    if [ -e "$a" ] && [ $(( 0$(stat -c %a "$a") & 1 )) != 1 ]; then
      die "$a is not world-traversable (mode $(stat -c %a "$a")): munged, slurmd and the test users must reach $DIR; choose another DIR or chmod o+x it"
    fi
    a=$(dirname "$a")
  done
  mkdir -p "$DIR"/{etc,log,run,state,spool/slurmd,munge,ssh/client,ssh/login,ssh/jump,ssh/totp,dev,bin}
  local pkgs=(slurmctld slurmd slurm-client munge openssh-server openssh-client libpam-google-authenticator)
  if [ "$WITH_DBD" = 1 ]; then pkgs+=(slurmdbd mariadb-server); fi
  # shellcheck disable=SC2206 # a space-separated list of package names
  pkgs+=($LAB_NODE_SOFTWARE)
  install_packages "${pkgs[@]}"
  say "packages ready (Slurm $(dpkg-query -W -f='${Version}' slurmctld))"

  ensure_user "$LAB_USER" "$LAB_PASSWORD"
  ensure_user "$LAB_OTP_USER" "$LAB_OTP_PASSWORD"
  # A random password only so the account is not locked (sshd refuses locked accounts); the jump
  # host accepts keys only.
  ensure_user "$LAB_JUMP_USER" "$(head -c 18 /dev/urandom | base64)"
  local home
  home=$(getent passwd "$LAB_USER" | cut -d: -f6)
  # resources/targets/lab.yaml: workRoot $HOME/fluxo-runs
  install -d -o "$LAB_USER" -g "$LAB_USER" -m 755 "$home/fluxo-runs"

  chown slurm:slurm "$DIR/state" "$DIR/log" "$DIR/run"
  chmod 755 "$DIR" "$DIR"/{etc,log,run,state,spool,dev,bin,ssh,ssh/client,ssh/login,ssh/jump,ssh/totp}
  # munged wants its key 0400 and owned by munge, and a socket folder others can traverse.
  chown munge:munge "$DIR/munge"
  chmod 755 "$DIR/munge"
  if [ ! -s "$DIR/munge/munge.key" ]; then mungekey -c -k "$DIR/munge/munge.key"; fi
  chown munge:munge "$DIR/munge/munge.key"
  chmod 400 "$DIR/munge/munge.key"

  local i t p
  for i in $(seq 0 $((LAB_GPUS - 1))); do
    [ -e "$DIR/dev/nvidia$i" ] && continue
    mknod -m 666 "$DIR/dev/nvidia$i" c 195 "$i" 2>/dev/null || ln -sf /dev/null "$DIR/dev/nvidia$i"
  done

  # Keys are made once and kept across down/up, so known_hosts files stay valid.
  for t in ed25519 ecdsa rsa; do
    for p in login jump; do
      [ -f "$DIR/ssh/$p/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N '' -C "fluxolab-$p" -f "$DIR/ssh/$p/ssh_host_${t}_key"
    done
  done
  [ -f "$DIR/ssh/client/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "fluxolab-client" -f "$DIR/ssh/client/id_ed25519"
  [ -f "$DIR/ssh/client/id_ed25519_pass" ] || ssh-keygen -q -t ed25519 -N "$LAB_KEY_PASSPHRASE" -C "fluxolab-client-encrypted" -f "$DIR/ssh/client/id_ed25519_pass"
  [ -f "$DIR/ssh/client/id_rsa" ] || ssh-keygen -q -t rsa -b 3072 -m PEM -N '' -C "fluxolab-client-rsa-pem" -f "$DIR/ssh/client/id_rsa"
  chmod 600 "$DIR"/ssh/client/id_ed25519 "$DIR"/ssh/client/id_ed25519_pass "$DIR"/ssh/client/id_rsa
  authorize_keys "$LAB_USER"
  authorize_keys "$LAB_JUMP_USER"
  printf '%s\n" TOTP_AUTH\n" WINDOW_SIZE 3\n' "$LAB_OTP_SECRET" >"$DIR/ssh/totp/$LAB_OTP_USER"
  chown root:root "$DIR/ssh/totp/$LAB_OTP_USER"
  chmod 600 "$DIR/ssh/totp/$LAB_OTP_USER"
  {
    for t in ed25519 ecdsa rsa; do
      for p in "$SSH_PORT" "$SSH_PW_PORT"; do echo "[127.0.0.1]:$p $(cut -d' ' -f1,2 "$DIR/ssh/login/ssh_host_${t}_key.pub")"; done
      echo "[127.0.0.1]:$SSH_JUMP_PORT $(cut -d' ' -f1,2 "$DIR/ssh/jump/ssh_host_${t}_key.pub")"
    done
  } >"$DIR/ssh/known_hosts"
  ssh_client_conf >"$DIR/ssh/config"
  ln -sfn /usr/sbin/sshd "$DIR/bin/$PAM_SERVICE"
  mkdir -p /run/sshd
  chmod 755 /run/sshd  # sshd's privilege separation folder

  stage_config "$CONF" < <(slurm_conf)
  stage_config "$DIR/etc/gres.conf" < <(gres_conf)
  stage_config "$DIR/etc/sshd_config" < <(sshd_login_conf)
  stage_config "$DIR/etc/sshd_jump_config" < <(sshd_jump_conf)
  stage_config "$PAM_FILE" < <(pam_conf)
  if [ "$WITH_DBD" = 1 ]; then stage_config "$DIR/etc/slurmdbd.conf" < <(dbd_conf); fi
  commit_configs
  if [ "$WITH_DBD" = 1 ]; then
    chown slurm:slurm "$DIR/etc/slurmdbd.conf"
    chmod 600 "$DIR/etc/slurmdbd.conf"  # slurmdbd refuses a readable file with a password
  fi
}

start_munge() {
  if ! alive munged; then
    rm -f "$DIR/munge/munge.socket" "$DIR/munge/munge.socket.lock"
    start_daemon munged setpriv --reuid=munge --regid=munge --init-groups \
      /usr/sbin/munged -F --socket="$DIR/munge/munge.socket" --key-file="$DIR/munge/munge.key" \
      --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" --num-threads=4
  fi
  wait_for munged munged bash -c "munge -n -S '$DIR/munge/munge.socket' | unmunge -S '$DIR/munge/munge.socket'"
  say "munged ready (pid $(recorded_pid munged))"
}

start_dbd() {
  local sock=$DIR/mysql/mysqld.sock
  mkdir -p "$DIR/mysql"
  chown mysql:mysql "$DIR/mysql"
  if [ ! -d "$DIR/mysql/data/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$DIR/mysql/data" --skip-test-db \
      --auth-root-authentication-method=socket >"$DIR/log/mariadb-install.log" 2>&1 ||
      die "mariadb-install-db failed (log: $DIR/log/mariadb-install.log)"
  fi
  if ! alive mariadbd; then
    need_free_port "$MYSQL_PORT" mariadbd MYSQL_PORT
    start_daemon mariadbd setpriv --reuid=mysql --regid=mysql --init-groups \
      /usr/sbin/mariadbd --no-defaults --datadir="$DIR/mysql/data" --socket="$sock" \
      --pid-file="$DIR/mysql/mysqld.pid" --bind-address=127.0.0.1 --port="$MYSQL_PORT" \
      --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-lock-wait-timeout=900 \
      --log-error="$DIR/log/mariadbd.log"
  fi
  wait_for mariadb mariadbd mariadb-admin --no-defaults -S "$sock" -uroot ping
  mariadb --no-defaults -S "$sock" -uroot -e "
    CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'fluxolab-db';
    CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'fluxolab-db';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  say "mariadb ready (pid $(recorded_pid mariadbd))"
  if ! alive slurmdbd; then
    need_free_port "$DBD_PORT" slurmdbd DBD_PORT
    start_daemon slurmdbd env SLURM_CONF="$CONF" /usr/sbin/slurmdbd -D
  fi
  wait_for "slurmdbd on port $DBD_PORT" slurmdbd port_open "$DBD_PORT"
  say "slurmdbd ready (pid $(recorded_pid slurmdbd))"
}

start_slurm() {
  local i
  if ! alive slurmctld; then
    need_free_port "$SLURMCTLD_PORT" slurmctld SLURMCTLD_PORT
    start_daemon slurmctld /usr/sbin/slurmctld -D -f "$CONF"
  fi
  wait_for slurmctld slurmctld bash -c 'scontrol ping | grep -q "is UP"'
  say "slurmctld ready (pid $(recorded_pid slurmctld))"
  if [ "$WITH_DBD" = 1 ]; then
    wait_for "the cluster's registration in slurmdbd" slurmctld \
      bash -c "sacctmgr -n -P show cluster fluxolab format=controlport | grep -qx '$SLURMCTLD_PORT'"
  fi
  if ! alive slurmd; then
    need_free_port "$SLURMD_PORT" slurmd SLURMD_PORT
    start_daemon slurmd /usr/sbin/slurmd -D -f "$CONF" -N "$NODE"
  fi
  for i in $(seq 1 $((READY_TIMEOUT * 10))); do
    node_ready && break
    alive slurmd || { tail -20 "$DIR/log/slurmd.log" >&2; die "slurmd died (log: $DIR/log/slurmd.log)"; }
    case "$(node_state)" in
      *INVAL*) die "node $NODE is INVAL: $(scontrol -o show node "$NODE" | grep -o 'Reason=.*')" ;;
      # A node that was DOWN when the lab stopped stays so: bring it back once.
      *DRAIN* | *DOWN*) if [ "$i" = 20 ]; then scontrol update NodeName="$NODE" State=RESUME || true; fi ;;
    esac
    sleep 0.1
  done
  node_ready || die "node $NODE is not ready: $(scontrol -o show node "$NODE" | grep -oE '(State|Reason)=[^ ]*' | tr '\n' ' ')"
  say "slurmd ready (pid $(recorded_pid slurmd)); node $NODE $(node_state)"
}

start_sshds() {
  if ! alive sshd; then
    need_free_port "$SSH_PORT" sshd SSH_PORT
    need_free_port "$SSH_PW_PORT" sshd SSH_PW_PORT
    /usr/sbin/sshd -t -f "$DIR/etc/sshd_config" || die "sshd rejects $DIR/etc/sshd_config"
    start_daemon sshd "$DIR/bin/$PAM_SERVICE" -D -f "$DIR/etc/sshd_config" -E "$DIR/log/sshd.log"
  fi
  if ! alive sshd-jump; then
    need_free_port "$SSH_JUMP_PORT" sshd-jump SSH_JUMP_PORT
    /usr/sbin/sshd -t -f "$DIR/etc/sshd_jump_config" || die "sshd rejects $DIR/etc/sshd_jump_config"
    start_daemon sshd-jump /usr/sbin/sshd -D -f "$DIR/etc/sshd_jump_config" -E "$DIR/log/sshd-jump.log"
  fi
  wait_for "sshd on $SSH_PORT" sshd ssh-keyscan -T 2 -p "$SSH_PORT" 127.0.0.1
  wait_for "sshd on $SSH_PW_PORT" sshd ssh-keyscan -T 2 -p "$SSH_PW_PORT" 127.0.0.1
  wait_for "the jump sshd on $SSH_JUMP_PORT" sshd-jump ssh-keyscan -T 2 -p "$SSH_JUMP_PORT" 127.0.0.1
  say "sshd ready: 127.0.0.1:$SSH_PORT (keys), :$SSH_PW_PORT (password, TOTP for $LAB_OTP_USER), jump host :$SSH_JUMP_PORT"
}

# End to end, as a user would: over ssh (through the jump host), sbatch a job that runs the
# test user's python3 with the science stack. Then the password + TOTP login, answered by an
# askpass program (OpenSSH relays each keyboard-interactive prompt to it).
verify() {
  local home jid st out i
  home=$(getent passwd "$LAB_USER" | cut -d: -f6)
  # Single quotes on purpose: $HOME is the remote user's, and --wrap takes one argument.
  # shellcheck disable=SC2016
  local job='sbatch --parsable -J fluxolab-verify -o "$HOME/.fluxolab-verify-%j.out" --wrap "command -v python3 && python3 -c \"import sklearn; print(42)\""'
  # -F: ProxyJump starts a second ssh that sees the config file but not -i or -o options.
  jid=$(ssh -F "$DIR/ssh/config" -o BatchMode=yes fluxolab-via-jump "$job" 2>"$DIR/log/verify-ssh.err") ||
    die "could not submit a job over ssh through the jump host: $(tail -3 "$DIR/log/verify-ssh.err") (logs: $DIR/log/sshd*.log)"
  for i in $(seq 1 $((READY_TIMEOUT * 10))); do
    st=$(squeue -h -t all -j "$jid" -o %T 2>/dev/null || true)
    case "$st" in COMPLETED | FAILED | CANCELLED* | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL) break ;; esac
    sleep 0.1
  done
  out=$(tr '\n' ' ' <"$home/.fluxolab-verify-$jid.out" 2>/dev/null || true)
  rm -f "$home/.fluxolab-verify-$jid.out"
  if [ "$st" != COMPLETED ] || [ "$out" != "/usr/bin/python3 42 " ]; then
    die "the check job $jid ended '$st' printing '$out'; a job of $LAB_USER must find /usr/bin/python3 with scikit-learn (apt-get install python3-sklearn)"
  fi
  say "job $jid, submitted over ssh through the jump host, ran /usr/bin/python3 with scikit-learn"

  local askpass=$DIR/bin/askpass-totp
  cat >"$askpass" <<'EOF'
#!/bin/sh
# The answers to the lab's keyboard-interactive prompts: the password, then the TOTP code.
case "$1" in
  *erification*) exec /usr/bin/python3 -c '
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
o = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000))' "$LAB_OTP_SECRET" ;;
  *) printf '%s\n' "$LAB_OTP_PASSWORD" ;;
esac
EOF
  chmod 700 "$askpass"
  # shellcheck disable=SC2016 # expanded by the remote shell
  out=$(LAB_OTP_SECRET=$LAB_OTP_SECRET LAB_OTP_PASSWORD=$LAB_OTP_PASSWORD SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none \
    setsid -w ssh -F "$DIR/ssh/config" -o NumberOfPasswordPrompts=1 fluxolab-otp 'echo "$(id -un) $SLURM_CONF"' \
    </dev/null 2>"$DIR/log/verify-totp.err") ||
    die "password + TOTP login of $LAB_OTP_USER on :$SSH_PW_PORT failed: $(tail -3 "$DIR/log/verify-totp.err")"
  [ "$out" = "$LAB_OTP_USER $CONF" ] || die "the TOTP login printed '$out'"
  say "password + TOTP login of $LAB_OTP_USER on :$SSH_PW_PORT works"
}

free_ports() {  # before starting anything: a taken port would fail halfway through
  if ! alive slurmctld; then need_free_port "$SLURMCTLD_PORT" slurmctld SLURMCTLD_PORT; fi
  if ! alive slurmd; then need_free_port "$SLURMD_PORT" slurmd SLURMD_PORT; fi
  if ! alive sshd; then
    need_free_port "$SSH_PORT" sshd SSH_PORT
    need_free_port "$SSH_PW_PORT" sshd SSH_PW_PORT
  fi
  if ! alive sshd-jump; then need_free_port "$SSH_JUMP_PORT" sshd-jump SSH_JUMP_PORT; fi
  if [ "$WITH_DBD" = 1 ]; then
    if ! alive mariadbd; then need_free_port "$MYSQL_PORT" mariadbd MYSQL_PORT; fi
    if ! alive slurmdbd; then need_free_port "$DBD_PORT" slurmdbd DBD_PORT; fi
  fi
}

cmd_up() {
  prepare
  say "configuration in $DIR/etc"
  free_ports
  start_munge
  if [ "$WITH_DBD" = 1 ]; then start_dbd; fi
  start_slurm
  start_sshds
  if [ "$VERIFY" = 1 ]; then verify; fi
  write_env
  say "lab is up: source $DIR/lab.env"
}

# ---------------------------------------------------------------- down, status
cmd_down() {
  rm -f "$DIR/lab.env"
  if [ ! -d "$DIR/run" ]; then
    say "nothing runs from $DIR"
    return 0
  fi
  stop_sshd sshd-jump
  stop_sshd sshd
  local jobs k left
  if alive slurmctld; then
    # Through Slurm first, so slurmstepd cleans up its job steps.
    jobs=$(squeue -h -o %A 2>/dev/null | sort -u | tr '\n' ' ' || true)
    if [ -n "${jobs// /}" ]; then
      say "cancelling jobs $jobs"
      # shellcheck disable=SC2086 # one argument per job id
      scancel $jobs 2>/dev/null || true
      for _ in $(seq 1 100); do
        [ -z "$(squeue -h -o %A 2>/dev/null)" ] && break
        sleep 0.1
      done
    fi
  fi
  if alive slurmd; then
    left=$(scontrol listpids 2>/dev/null | awk 'NR > 1 && $1 ~ /^[0-9]+$/ {print $1}' || true)
    for k in $left; do
      say "killing job process $k that outlived its job"
      kill -KILL "$k" 2>/dev/null || true
    done
  fi
  stop_recorded slurmd
  stop_recorded slurmctld
  stop_recorded slurmdbd
  stop_recorded mariadbd
  stop_recorded munged
  say "lab is down"
}

cmd_status() {
  local n pid rc=0
  for n in "${DAEMONS[@]}"; do
    if pid=$(recorded_pid "$n"); then
      echo "$n: running (pid $pid)"
    elif [ -f "$DIR/run/$n.pid" ]; then
      echo "$n: DEAD (its record $DIR/run/$n.pid is stale)"
      rc=1
    fi
  done
  if alive slurmctld; then sinfo -N -o '%N %P %T %c %m %G' 2>/dev/null || true; fi
  if [ -f "$DIR/lab.env" ]; then echo "env: $DIR/lab.env"; else echo "env: none (the lab is not up)"; fi
  return $rc
}

case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env)
    [ -f "$DIR/lab.env" ] || die "the lab is not up ($DIR/lab.env is missing): run 'npm run lab:up' as root"
    cat "$DIR/lab.env"
    ;;
  stop)
    case " ${DAEMONS[*]} " in
      *" $STOP_NAME "*) ;;
      *) die "stop what? one of: ${DAEMONS[*]}" ;;
    esac
    case "$STOP_NAME" in
      sshd*) stop_sshd "$STOP_NAME" ;;
      *) stop_recorded "$STOP_NAME" ;;
    esac
    ;;
  purge)
    cmd_down
    rm -rf "$DIR"
    rm -f "$PAM_FILE"
    say "deleted $DIR and $PAM_FILE (the test users stay)"
    ;;
  *)
    echo "usage: lab.sh up|down|status|env|purge [DIR], or lab.sh stop NAME [DIR]" >&2
    exit 2
    ;;
esac
