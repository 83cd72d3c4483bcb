# shellcheck shell=bash
# Sourced by write-hub-config.sh and write-node-config.sh: keys, certificates
# and kubeconfigs from the control plane's CA. Expects ETC, CA_DIR, API_HOST
# and API_PORT.

# issue_cert NAME "/O=group/CN=user" clientAuth|serverAuth [SUBJECT_ALT_NAMES]:
# a key and a certificate from the control plane's CA, valid as long as the CA.
issue_cert() {
  local name="$1" subject="$2" usage="$3" sans="${4:-}"
  [[ -s "$ETC/pki/$name.crt" ]] && return 0
  {
    printf 'basicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n'
    echo "extendedKeyUsage = $usage"
    if [[ -n "$sans" ]]; then echo "subjectAltName = $sans"; fi
  } >"$ETC/pki/$name.ext"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$ETC/pki/$name.key" -out "$ETC/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$ETC/pki/$name.csr" -CA "$CA_DIR/ca.crt" -CAkey "$CA_DIR/ca.key" \
    -CAcreateserial -CAserial "$ETC/pki/ca.srl" -days 365 -extfile "$ETC/pki/$name.ext" \
    -out "$ETC/pki/$name.crt" 2>/dev/null
  chmod 600 "$ETC/pki/$name.key"
}

write_kubeconfig() {
  local name="$1" user="$2"
  (
    umask 077
    cat >"$ETC/$name.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster:
    server: https://$API_HOST:$API_PORT
    certificate-authority: $CA_DIR/ca.crt
users:
- name: $user
  user:
    client-certificate: $ETC/pki/$name.crt
    client-key: $ETC/pki/$name.key
contexts:
- name: $name
  context: {cluster: node, user: $user}
current-context: $name
EOF
  )
}

