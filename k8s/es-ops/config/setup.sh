#!/bin/sh
# Elasticsearch operations for vidsearch, idempotent (k8s/es-ops; docs/elasticsearch.md, "Operator's runbook"):
#   1. the S3 snapshot repository vidsearch-s3 (credentials: the node keystore, from vidsearch-es-snapshot-s3),
#      verified from every node;
#   2. the snapshot lifecycle policy vidsearch-nightly (nightly, kept 30 days, at least 7, at most 60);
#   3. two API keys that expire after 90 days: vidsearch-search (read) into Secret vidsearch-es-search-key and
#      vidsearch-ingest (write, create and manage vidsearch-* only) into Secret vidsearch-es-api-key.
# Rerunning (the monthly CronJob) rotates the keys; pods read the new key when they restart, and the previous
# key keeps working until it expires.
set -eu
ES=https://vidsearch-es-http:9200
CONF=/etc/es-ops
K8S=https://kubernetes.default.svc
SA=/var/run/secrets/kubernetes.io/serviceaccount
NS=$(cat "$SA/namespace")
TOKEN=$(cat "$SA/token")

es() {  # METHOD PATH [curl args]: one call as the elastic user, failing on any HTTP error
  method=$1 path=$2
  shift 2
  curl -sS --fail-with-body --cacert /etc/es-ca/ca.crt -u "elastic:$ELASTIC_PASSWORD" \
    -H 'Content-Type: application/json' -X "$method" "$ES$path" "$@"
}

store_secret() {  # NAME VALUE: the Secret's api-key, replaced or created through the Kubernetes API
  body=$(printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s"},"type":"Opaque","stringData":{"api-key":"%s"}}' "$1" "$NS" "$2")
  code=$(curl -sS -o /tmp/k8s-reply -w '%{http_code}' --cacert "$SA/ca.crt" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -X PUT "$K8S/api/v1/namespaces/$NS/secrets/$1" -d "$body")
  if [ "$code" = 404 ]; then
    curl -sS --fail-with-body -o /tmp/k8s-reply --cacert "$SA/ca.crt" -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -X POST "$K8S/api/v1/namespaces/$NS/secrets" -d "$body"
  elif [ "$code" != 200 ]; then
    echo "storing Secret $1 failed ($code): $(cat /tmp/k8s-reply)" >&2
    exit 1
  fi
  echo "stored Secret $1"
}

es PUT /_snapshot/vidsearch-s3 --data-binary @"$CONF/snapshot-repository.json"
es POST /_snapshot/vidsearch-s3/_verify
es PUT /_slm/policy/vidsearch-nightly --data-binary @"$CONF/slm-policy.json"
for use in search ingest; do
  reply=$(es POST /_security/api_key --data-binary @"$CONF/api-key-$use.json")
  encoded=$(printf '%s' "$reply" | sed -n 's/.*"encoded":"\([^"]*\)".*/\1/p')
  if [ -z "$encoded" ]; then
    echo "Elasticsearch returned no $use key" >&2
    exit 1
  fi
  if [ "$use" = search ]; then secret=vidsearch-es-search-key; else secret=vidsearch-es-api-key; fi
  store_secret "$secret" "$encoded"
done
echo "done: repository vidsearch-s3, policy vidsearch-nightly, keys rotated"
