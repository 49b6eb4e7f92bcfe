# Helpers shared by scripts/services/*.sh (sourced; not a service itself, hence not *.sh).

# A free TCP port on 127.0.0.1 (the kernel's pick for port 0).
free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# wait_exit pid: up to 5 s for the process to be gone.
wait_exit() {
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
}

# stop_pid pid [hard]: SIGTERM to the process if it runs, wait_exit, then SIGKILL with "hard" (for
# daemons that may ignore a TERM while busy). An empty or dead pid is not an error.
stop_pid() {
  if [ -z "$1" ] || ! kill -0 "$1" 2>/dev/null; then return 0; fi
  kill "$1" 2>/dev/null || true
  wait_exit "$1"
  if [ "${2:-}" = hard ]; then kill -9 "$1" 2>/dev/null || true; fi
}

# wait_port host port seconds: until something accepts connections there, or fail.
wait_port() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    if (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  return 1
}

# make_test_certs dir ca-cn leaf-name leaf-file: a throw-away CA (dir/ca.pem) and a leaf for leaf-name
# and 127.0.0.1 (dir/<leaf-file>.pem + .key), so tests pass --ca-file and see a trusted connection.
make_test_certs() {
  local d="$1" ca_cn="$2" name="$3" leaf="$4"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=$ca_cn" \
    -keyout "$d/ca.key" -out "$d/ca.pem" -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$d/$leaf.key" -out "$d/$leaf.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$name" >"$d/ext.cnf"
  openssl x509 -req -in "$d/$leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 30 -sha256 \
    -extfile "$d/ext.cnf" -out "$d/$leaf.pem" 2>/dev/null
  chmod 600 "$d/$leaf.key" "$d/ca.key"
}
