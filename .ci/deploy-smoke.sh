#!/usr/bin/env bash
# Stands the production deployment up on this machine and runs the smoke test through it (issue 19): nginx
# from Debian's packages with deploy/nginx/partycard.conf itself (ports, paths and a self-signed certificate
# substituted), granian started by deploy/bin/partycard-web and one worker by deploy/bin/partycard-worker,
# both reading an env file as production does, a PostgreSQL database and roles of its own (deploy/postgres/),
# migrate + grants + collectstatic + demo data. Then, through nginx over HTTPS (curl --cacert): the login page
# with HSTS, the redirect from HTTP, a static file with far-future caching, the demo officer's login with
# its TOTP code and the demo scope on the home page, a job run to the end by the worker, /healthz (and
# /readyz) when the app has them, /metrics refused from outside, an oversize POST refused with 413 and the
# verify endpoint's rate limit answering 429. Everything it starts is stopped by pid on exit.
#
# Run from a fresh clone as root (CI, after `make install`), or as a user who can run nginx and reach
# PostgreSQL as `postgres` on 127.0.0.1:5432 (PARTYCARD_SMOKE_PG to change it). PARTYCARD_VENV: the
# virtualenv (default .venv, the one the Makefile makes).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
started=$(date +%s)
venv="${PARTYCARD_VENV:-$root/.venv}"
py="$venv/bin/python"
pg="${PARTYCARD_SMOKE_PG:-postgres://postgres@127.0.0.1:5432}"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
[ -x "$py" ] || { echo "deploy smoke: no Python in $venv (make install first)"; exit 1; }
[ -x "$nginx" ] || { echo "deploy smoke: no nginx (apt-get install nginx)"; exit 1; }

scratch="$(mktemp -d)"
var="$scratch/var"
mkdir -p "$var" "$scratch/nginx"
suffix="$$_$(date +%s)"
db="partycard_deploy_smoke_$suffix"
owner="smoke_owner_$suffix"
app="smoke_app_$suffix"
pids=()

say() { echo "deploy smoke [$(( $(date +%s) - started )) s]: $*"; }
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    # Gone, or a zombie waiting to be reaped (its group's other processes gone with it)?
    for _ in $(seq 1 100); do
      [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || break
      sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  psql "$pg/postgres" -Xq -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $app" \
    -c "DROP ROLE IF EXISTS $owner" >/dev/null 2>&1 || true
  if [ $status -ne 0 ]; then
    for log in web.log worker.log nginx/error.log; do
      [ -f "$scratch/$log" ] && { echo "---- $log (last lines)"; tail -n 40 "$scratch/$log"; }
    done
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "deploy smoke FAILED: $*" >&2; exit 1; }
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # port pid what
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || fail "$3 exited"
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "$3 does not listen on $1 after 60 s"
}

app_port=$(free_port); https_port=$(free_port); http_port=$(free_port)
base="https://127.0.0.1:$https_port"

say "PostgreSQL: database $db, roles $owner (owner) and $app (app) from deploy/postgres/roles.sql"
psql "$pg/postgres" -Xq -v ON_ERROR_STOP=1 -v owner="$owner" -v app="$app" -v db="$db" \
  -f deploy/postgres/roles.sql >/dev/null
owner_url="postgres://$owner@${pg#*@}/$db"
app_url="postgres://$app@${pg#*@}/$db"

say "a self-signed certificate for 127.0.0.1 (openssl)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$scratch/privkey.pem" -out "$scratch/fullchain.pem" 2>/dev/null

# The env file, as /etc/partycard/partycard.env would be (deploy/partycard.env.example).
env_file="$scratch/partycard.env"
cat >"$env_file" <<EOF
DJANGO_SETTINGS_MODULE=partycard.settings.prod
DJANGO_SECRET_KEY=$("$py" -c 'import secrets; print(secrets.token_urlsafe(50))')
DJANGO_ALLOWED_HOSTS=127.0.0.1
DATABASE_URL=$app_url
PARTYCARD_VAR=$var
PARTYCARD_TRUSTED_PROXIES=1
PARTYCARD_WEB_WORKERS=2
PARTYCARD_WEB_THREADS=1
GRANIAN_HOST=127.0.0.1
GRANIAN_PORT=$app_port
PARTYCARD_VENV=$venv
PARTYCARD_TASKS_BACKEND=db
PARTYCARD_TOTP_KEYS=$("$py" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')
PARTYCARD_PKI_PASSPHRASE=smoke-$("$py" -c 'import secrets; print(secrets.token_hex(12))')
PARTYCARD_POPULATION_URL=http://127.0.0.1:9
PARTYCARD_MESSAGE_SENDER=partycard.accounts.sender.EmailSender
EOF
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
unset DJANGO_ALLOW_ASYNC_UNSAFE
cli() { "$py" -m partycard.cli "$@"; }

say "migrate (owner), grants.sql"
DATABASE_URL="$owner_url" cli migrate --no-input -v 0
psql "$owner_url" -Xq -v ON_ERROR_STOP=1 -v app="$app" -f deploy/postgres/grants.sql >/dev/null
say "collectstatic"
cli collectstatic --no-input -v 0
[ -s "$var/static/staticfiles.json" ] || fail "collectstatic wrote no manifest"
say "demo data (owner)"
DATABASE_URL="$owner_url" cli demo --members 500 >"$scratch/demo.log" 2>&1 || { cat "$scratch/demo.log"; fail "demo"; }

say "granian (deploy/bin/partycard-web), one worker (deploy/bin/partycard-worker), as the app role"
setsid deploy/bin/partycard-web --env-file "$env_file" >"$scratch/web.log" 2>&1 &
pids+=($!)
web_pid=$!
setsid deploy/bin/partycard-worker --env-file "$env_file" smoke >"$scratch/worker.log" 2>&1 &
pids+=($!)
worker_pid=$!

say "nginx with deploy/nginx/partycard.conf"
site="$scratch/nginx/partycard.conf"
sed -e "s#listen 80;#listen 127.0.0.1:$http_port;#" \
    -e "s#listen 443 ssl http2;#listen 127.0.0.1:$https_port ssl http2;#" \
    -e "/listen \[::\]/d" \
    -e "s#server 127.0.0.1:8000;#server 127.0.0.1:$app_port;#" \
    -e "s#/etc/ssl/partycard/#$scratch/#g" \
    -e "s#root /srv/partycard/var;#root $var;#" \
    -e "s#/etc/nginx/snippets/partycard-proxy.conf#$root/deploy/nginx/proxy.conf#" \
    -e "s#/var/log/nginx/partycard.access.log#$scratch/nginx/access.log#" \
    deploy/nginx/partycard.conf >"$site"
if sed 's/[[:space:]]#.*//; s/^#.*//' "$site" | grep -nE "127\.0\.0\.1:8000|/etc/ssl/partycard|/srv/partycard|/etc/nginx/snippets|listen (80|443)"; then
  fail "deploy/nginx/partycard.conf changed: the lines above were not substituted (update this script)"
fi
user=""; [ "$(id -u)" = 0 ] && user="user root;"  # root's nginx workers would be "nobody", locked out of $scratch
cat >"$scratch/nginx/nginx.conf" <<EOF
$user
worker_processes 1;
pid $scratch/nginx/nginx.pid;
error_log $scratch/nginx/error.log warn;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path $scratch/nginx/body;
    proxy_temp_path $scratch/nginx/proxy;
    fastcgi_temp_path $scratch/nginx/fastcgi;
    uwsgi_temp_path $scratch/nginx/uwsgi;
    scgi_temp_path $scratch/nginx/scgi;
    include $site;
}
EOF
"$nginx" -t -q -p "$scratch/nginx" -e "$scratch/nginx/error.log" -c "$scratch/nginx/nginx.conf"
setsid "$nginx" -p "$scratch/nginx" -e "$scratch/nginx/error.log" -c "$scratch/nginx/nginx.conf" \
  -g "daemon off;" >/dev/null 2>>"$scratch/nginx/error.log" &
pids+=($!)
nginx_pid=$!

wait_port "$app_port" "$web_pid" "granian"
wait_port "$https_port" "$nginx_pid" "nginx"
c() { curl -sS --cacert "$scratch/fullchain.pem" "$@"; }

say "the login page over HTTPS: 200, HSTS, a request id"
headers="$(c -D - -o "$scratch/login.html" "$base/dang-nhap/")"
grep -q "^HTTP/[0-9.]* 200" <<<"$headers" || fail "login page: $headers"
grep -qi "^strict-transport-security: max-age=31536000" <<<"$headers" || fail "no HSTS: $headers"
grep -qiE "^x-request-id: [0-9a-f]{32}" <<<"$headers" || fail "no X-Request-ID from nginx: $headers"

say "plain HTTP is redirected to HTTPS"
redirect="$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$http_port/dang-nhap/")"
[[ "$redirect" == "301 https://127.0.0.1/dang-nhap/" ]] || fail "HTTP → HTTPS redirect: $redirect"

say "a static file by its hashed name: 200, served by nginx, cached a year, immutable"
css="$(grep -oE '/static/partycard/site\.[0-9a-f]{12}\.css' "$scratch/login.html" | head -1)"
[ -n "$css" ] || fail "the login page names no hashed stylesheet (ManifestStaticFilesStorage)"
headers="$(c -D - -o /dev/null "$base$css")"
grep -q "^HTTP/[0-9.]* 200" <<<"$headers" || fail "$css: $headers"
grep -qi "^cache-control: public, max-age=31536000, immutable" <<<"$headers" || fail "$css caching: $headers"
grep -qi "^content-type: text/css" <<<"$headers" || fail "$css type: $headers"
headers="$(c -D - -o /dev/null "$base/static/partycard/site.css")"
grep -qi "^cache-control: no-cache" <<<"$headers" || fail "the unhashed name must be revalidated: $headers"

say "the demo officer logs in with the TOTP code; the home page shows the demo scope"
"$py" - "$base" "$scratch/fullchain.pem" <<'PY'
import re, ssl, subprocess, sys, urllib.request, urllib.parse, http.cookiejar
base, cafile = sys.argv[1], sys.argv[2]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(
    urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=cafile)),
    urllib.request.HTTPCookieProcessor(jar),
)
login = f"{base}/dang-nhap/"
page = opener.open(login).read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode({"username": "tinh", "password": "doithe-2025", "csrfmiddlewaretoken": token}).encode()
reply = opener.open(urllib.request.Request(login, data=data, headers={"Referer": login}))
# An officer: the password leads to the TOTP step; the demo_otp command prints the demo device's code.
assert "/dang-nhap/xac-thuc/" in reply.geturl(), reply.geturl()
page = reply.read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
code = subprocess.run([sys.executable, "-m", "partycard.cli", "demo_otp", "tinh"], check=True,
                      capture_output=True, text=True).stdout.strip()
assert re.fullmatch(r"\d{6}", code), code
data = urllib.parse.urlencode({"otp_token": code, "next": "/", "csrfmiddlewaretoken": token}).encode()
verify = reply.geturl()
home = opener.open(urllib.request.Request(verify, data=data, headers={"Referer": verify})).read().decode()
assert "Đảng bộ thành phố Hà Nội" in home, home[:2000]
assert all(c.secure for c in jar), [c.name for c in jar if not c.secure]
PY

say "a job enqueued is run to the end by the worker"
out="$(cli exchange evaluate --campaign dot-2026 --no-wait)"
job="$(sed -n 's/^Job #\([0-9]*\) enqueued.*/\1/p' <<<"$out")"
[ -n "$job" ] || fail "no job id in: $out"
job_done() { local shown; shown="$(cli job show "$job")"; [[ "${shown%%$'\n'*}" == *$'\tdone\t'* ]]; }
for _ in $(seq 1 120); do job_done && break; kill -0 "$worker_pid" || fail "the worker exited"; sleep 0.5; done
job_done || fail "the worker did not finish job $job"

for probe in healthz readyz; do
  code="$(c -o /dev/null -w '%{http_code}' "$base/$probe")"
  if [ "$code" = 404 ]; then
    say "/$probe: not in this version of the app (404), not checked"
  else
    [ "$code" = 200 ] || fail "/$probe answered $code"
    say "/$probe: 200"
  fi
done

say "/metrics from outside the monitoring network (127.0.0.2): 403 from nginx"
code="$(c --interface 127.0.0.2 -o /dev/null -w '%{http_code}' "$base/metrics")"
[ "$code" = 403 ] || fail "/metrics from 127.0.0.2 answered $code"

say "a POST over client_max_body_size: 413 from nginx; one under it reaches the app"
head -c 27000000 /dev/zero >"$scratch/27mb"
code="$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
  --data-binary @"$scratch/27mb" "$base/" || true)"
[ "$code" = 413 ] || fail "a 27 MB POST answered $code"
head -c 1000000 /dev/zero >"$scratch/1mb"
code="$(c -o /dev/null -w '%{http_code}' -H 'Content-Type: application/octet-stream' \
  --data-binary @"$scratch/1mb" "$base/" || true)"
[[ "$code" =~ ^[234][0-9][0-9]$ && "$code" != 413 ]] || fail "a 1 MB POST should reach the app, got $code"

say "the verify endpoint's rate limit: 60 requests at once from one address, past the burst: 429"
urls=(); for _ in $(seq 1 60); do urls+=("$base/api/v1/verify"); done
# The bodies to /dev/null, the status codes (-w, one per transfer) to stderr.
codes="$( (c --parallel --parallel-immediate --parallel-max 60 -w '%{stderr}%{http_code}\n' \
  -H 'Content-Type: application/json' --data '{"qr": "not a QR"}' "${urls[@]}" >/dev/null || true) 2>&1)"
limited=$(grep -c '^429$' <<<"$codes" || true)
answered=$(grep -cE '^[1-5][0-9][0-9]$' <<<"$codes" || true)
answered=$(( answered - limited ))
[ "$limited" -ge 1 ] || fail "no 429 among 60 verify requests at once: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
[ "$answered" -ge 20 ] || fail "the burst (20) was not let through: $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"
say "verify: $answered answered by the app, $limited refused with 429"

say "stopping"
trap - EXIT
cleanup
for pid in $web_pid $worker_pid $nginx_pid; do
  if kill -0 "$pid" 2>/dev/null; then echo "deploy smoke FAILED: process $pid still runs" >&2; exit 1; fi
done
say "passed in $(( $(date +%s) - started )) s"
