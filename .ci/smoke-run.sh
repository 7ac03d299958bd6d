#!/usr/bin/env bash
# Starts `make run` in a scratch var/ directory, waits for the server, logs in as a demo user over HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch="$(mktemp -d)"
export PARTYCARD_VAR="$scratch" PORT=8765
unset DATABASE_URL  # make run is the embedded SQLite database
env -u DATABASE_URL make run PORT=$PORT >"$scratch/run.log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null || kill $pid 2>/dev/null || true; pkill -f "runserver 127.0.0.1:$PORT" || true; pkill -f "partycard db_worker" || true; pkill -f "partycard.nationalid.standin" || true' EXIT
for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/dang-nhap/" -o /dev/null 2>/dev/null && break
  sleep 1
done
.venv/bin/python - "$PORT" <<'PY'
import os, re, subprocess, sys, urllib.request, urllib.parse, http.cookiejar
port = sys.argv[1]
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
login = f"http://127.0.0.1:{port}/dang-nhap/"
page = opener.open(login).read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
data = urllib.parse.urlencode({"username": "tinh", "password": "doithe-2025", "csrfmiddlewaretoken": token}).encode()
reply = opener.open(urllib.request.Request(login, data=data, headers={"Referer": login}))
# An officer: the password leads to the TOTP step; the demo_otp command prints the demo device's code.
assert "/dang-nhap/xac-thuc/" in reply.geturl(), reply.geturl()
page = reply.read().decode()
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
code = subprocess.run([".venv/bin/partycard", "demo_otp", "tinh"], env=env, check=True,
                      capture_output=True, text=True).stdout.strip()
assert re.fullmatch(r"\d{6}", code), code
data = urllib.parse.urlencode({"otp_token": code, "next": "/", "csrfmiddlewaretoken": token}).encode()
verify = reply.geturl()
home = opener.open(urllib.request.Request(verify, data=data, headers={"Referer": verify})).read().decode()
assert "Đảng bộ thành phố Hà Nội" in home, home[:2000]
print("make run: demo login with the TOTP code works, home page shows the demo scope")
PY
# The worker make run starts next to the server runs an enqueued job to the end.
out="$(.venv/bin/partycard exchange evaluate --campaign dot-2026 --no-wait)"
job="$(echo "$out" | sed -n 's/^Job #\([0-9]*\) enqueued.*/\1/p')"
test -n "$job" || { echo "no job id in: $out"; exit 1; }
job_done() {  # the first line of `job show` says the status; no pipe (pipefail + an early exit = SIGPIPE)
  local shown
  shown="$(.venv/bin/partycard job show "$job")"
  [[ "${shown%%$'\n'*}" == *$'\tdone\t'* ]]
}
for _ in $(seq 1 60); do
  job_done && break
  sleep 1
done
job_done || { echo "the worker did not finish job $job"; exit 1; }
echo "make run: the background worker ran job #$job to the end"
grep -q "doithe-2025" "$scratch/run.log"
grep -q "demo_otp USERNAME" "$scratch/run.log"
grep -q "http://127.0.0.1:$PORT/" "$scratch/run.log"
echo "make run printed the URL, the demo logins and how to get a TOTP code"
# The population database's stand-in (issue 17) serves the demo's citizens next to the server.
for _ in $(seq 1 30); do
  curl -fsS "http://127.0.0.1:8790/v1/_stats" -o /dev/null 2>/dev/null && break
  sleep 1
done
curl -fsS "http://127.0.0.1:8790/v1/_stats" -o /dev/null
grep -q "stand-in of the national population database" "$scratch/run.log"
echo "make run: the population database's stand-in answers on 127.0.0.1:8790"
# The e-card demo: make run made an authority, so the public trust list is served, and the member login
# and the offline verifier are printed.
curl -fsS "http://127.0.0.1:$PORT/api/v1/trust-list" -o "$scratch/trustlist.json"
grep -q '"signature"' "$scratch/trustlist.json"
curl -fsS "http://127.0.0.1:$PORT/kiem-tra/" -o /dev/null
grep -q "Member login (SMS code, no TOTP): dangvien" "$scratch/run.log"
grep -q "Member's app at /so-tay/ (login dangvien)" "$scratch/run.log"
curl -fsS "http://127.0.0.1:$PORT/so-tay/manifest.webmanifest" -o /dev/null
echo "make run: the e-card demo serves its trust list, the offline verifier and the member's app, and prints the member login"
