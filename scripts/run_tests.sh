#!/usr/bin/env bash
# Run the test suite against real PostgreSQL and Redis (what `make test` calls).
#
#   DATABASE_URL / REDIS_URL   services to use (defaults: local PostgreSQL and Redis db 15)
#   PYTEST_ARGS                extra pytest arguments, shell-quoted: PYTEST_ARGS='-m "not browser"'
#   TEST_PYTHON                interpreter with the project installed (default .venv/bin/python)
#   extra command-line arguments are passed to pytest as well
#
# Makes sure the services answer (scripts/ensure_services.sh starts throw-away ones outside CI),
# runs pytest, stops whatever it started, and exits with pytest's exit code. pytest's code 5
# ("no tests collected") is a failure here too.
set -euo pipefail

cd "$(dirname "$0")/.."

export DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/plumbline}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/15}
export DJANGO_SETTINGS_MODULE=config.settings.test

python=${TEST_PYTHON:-.venv/bin/python}
[[ -x "$python" ]] || { echo "run_tests: $python not found; run 'make venv' first" >&2; exit 2; }

services_env=$(mktemp "${TMPDIR:-/tmp}/plumbline-services-env.XXXXXX")
# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    scripts/ensure_services.sh --stop "$services_env" || true
    rm -f "$services_env"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

scripts/ensure_services.sh --env-file "$services_env"
# shellcheck disable=SC1090
source "$services_env"  # the URLs to use (those of throw-away instances if any were started)

# JUnit XML for CI summaries (.ci/run prints a closing "N passed, N failed" line from it).
junit=test-results/junit.xml
mkdir -p test-results
rm -f "$junit"
args=("--junitxml=$junit")
if [[ -n "${PYTEST_ARGS:-}" ]]; then
    eval "args=(${PYTEST_ARGS})"
fi
args+=("$@")

echo "run_tests: DATABASE_URL=$DATABASE_URL REDIS_URL=$REDIS_URL"
shown=""
((${#args[@]})) && shown=$(printf ' %q' "${args[@]}")
echo "run_tests: $python -m pytest$shown"
set +e
"$python" -m pytest "${args[@]}"
rc=$?
set -e

case $rc in
    0) echo "run_tests: pytest passed" ;;
    5) echo "run_tests: FAILED: pytest collected no tests (exit code 5); that counts as a failure" >&2 ;;
    *) echo "run_tests: FAILED: pytest exit code $rc" >&2 ;;
esac
exit "$rc"
