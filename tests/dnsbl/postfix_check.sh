#!/usr/bin/env bash
# postfix_check.sh [BUILD_DIR]: Postfix, unchanged, uses repd's DNS zones as a DNSBL.
#
# A private Postfix instance (its own config, queue and log in a temp dir; smtpd and dnsblog
# chrooted, so their resolv.conf is ours) listens on loopback. repd's DnsServer serves
# bl.repd.test on 127.0.0.153:53. SMTP clients connect from 127.0.0.2 (RFC 5782 test point,
# always listed), 127.0.0.5 (listed by the data file, category 4 "bot") and 127.0.0.1 (never
# listed) and must be rejected / accepted by:
#   smtpd_client_restrictions = reject_rbl_client bl.repd.test=127.0.0.[2..20]
#   postscreen_dnsbl_sites = bl.repd.test=127.0.0.[2..20]*3 (postscreen_dnsbl_action enforce)
# Needs root (Postfix's master) and the postfix package; stops everything it started, and
# every step is bounded in time. Exit status 0 when every expectation holds.
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/../.." && pwd)/build}
server=$build/tests/dnsbl/dns_file_server
# 77: skipped (ctest SKIP_RETURN_CODE), with the reason.
command -v postfix >/dev/null || { echo "skipped: postfix is not installed (apt-get install postfix)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "skipped: Postfix's master needs root"; exit 77; }
[ -x "$server" ] || { echo "build $server first"; exit 2; }
dns_ip=127.0.0.153
dir=$(mktemp -d /tmp/repd-postfix.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
smtpd_port=$(free_port) screen_port=$(free_port)

cleanup() {
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  [ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null || true
}
trap cleanup EXIT

# repd's DNS server with one listing of its own besides the RFC 5782 test point.
printf '127.0.0.5 :127.0.0.4:Bot activity from $, see http://repd.test/lookup/$\n' > "$dir/bl.rbl"
"$server" "$dns_ip:53" 120 "$dir/bl.rbl" 2>"$dir/dns.log" &
dns_pid=$!
for _ in $(seq 50); do
  dig @$dns_ip +time=1 +tries=1 +short 2.0.0.127.bl.repd.test A 2>/dev/null | grep -q 127.0.0.2 && break
  sleep 0.1
done

mkdir -p "$dir/etc" "$dir/queue/etc" "$dir/data"
chmod 755 "$dir"  # Postfix daemons run as user postfix
chown postfix "$dir/data"
printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$dns_ip" > "$dir/queue/etc/resolv.conf"
for f in services hosts host.conf nsswitch.conf localtime; do
  [ -e "/etc/$f" ] && cp -L "/etc/$f" "$dir/queue/etc/" || true
done
cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.repd.test
mydestination = repd.test
mynetworks =
local_recipient_maps =
smtpd_relay_restrictions = reject_unauth_destination
smtpd_client_restrictions = reject_rbl_client bl.repd.test=127.0.0.[2..20]
postscreen_dnsbl_sites = bl.repd.test=127.0.0.[2..20]*3
postscreen_dnsbl_threshold = 3
postscreen_dnsbl_action = enforce
postscreen_greet_action = ignore
CF
cat > "$dir/etc/master.cf" <<CF
127.0.0.1:$smtpd_port inet n - y - - smtpd
127.0.0.1:$screen_port inet n - y - 1 postscreen
smtpd     pass  -       -       y       -       -       smtpd
dnsblog   unix  -       -       y       -       0       dnsblog
tlsproxy  unix  -       -       y       -       0       tlsproxy
postlog   unix-dgram n  -       n       -       1       postlogd
pickup    unix  n       -       y       60      1       pickup
cleanup   unix  n       -       y       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       y       -       -       trivial-rewrite
bounce    unix  -       -       y       -       0       bounce
defer     unix  -       -       y       -       0       bounce
trace     unix  -       -       y       -       0       bounce
verify    unix  -       -       y       -       1       verify
flush     unix  n       -       y       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       y       -       1       anvil
scache    unix  -       -       y       -       1       scache
local     unix  -       n       n       -       -       local
discard   unix  -       -       y       -       -       discard
error     unix  -       -       y       -       -       error
retry     unix  -       -       y       -       -       error
smtp      unix  -       -       y       -       -       smtp
CF
# script(1) gives postfix a terminal, so that its errors go there and not to a syslog.
timeout 60 script -qc "postfix -c $dir/etc start" "$dir/start.log" >/dev/null || { cat "$dir/start.log"; exit 1; }

# One SMTP dialogue from SOURCE to PORT; prints the reply to RCPT TO (code and text).
rcpt_reply() {
  timeout 30 python3 - "$1" "$2" <<'PY'
import smtplib, sys
src, port = sys.argv[1], int(sys.argv[2])
s = smtplib.SMTP(timeout=20, source_address=(src, 0))
s.connect("127.0.0.1", port)
s.ehlo("client.example")
s.mail("sender@example.org")
code, text = s.rcpt("user@repd.test")
print(code, text.decode())
try:
    s.quit()
except Exception:
    pass
PY
}

fail=0
expect() {  # WHAT SOURCE PORT PATTERN
  local got
  got=$(rcpt_reply "$2" "$3" 2>&1 || true)
  if grep -qE "$4" <<<"$got"; then
    echo "ok   $1: $got"
  else
    echo "FAIL $1: got '$got', want /$4/"; fail=1
  fi
}
expect "smtpd rejects the RFC 5782 test point" 127.0.0.2 "$smtpd_port" \
  '^554 .*blocked using bl\.repd\.test; RFC 5782 test point'
expect "smtpd rejects a listed client with repd's TXT reason" 127.0.0.5 "$smtpd_port" \
  '^554 .*blocked using bl\.repd\.test; Bot activity from 127\.0\.0\.5'
expect "smtpd accepts an unlisted client" 127.0.0.1 "$smtpd_port" '^250 '
expect "postscreen rejects a listed client" 127.0.0.5 "$screen_port" \
  '^550 .*blocked using bl\.repd\.test'
expect "postscreen passes an unlisted client" 127.0.0.1 "$screen_port" '^250 '
if [ $fail = 0 ]; then
  postfix -c "$dir/etc" stop >/dev/null 2>&1 || true
  rm -rf "$dir"
else
  echo "--- $dir/maillog"; tail -30 "$dir/maillog" 2>/dev/null || true
fi
exit $fail
