#!/usr/bin/env bash
# outside-module.sh: builds the README's Quick start in a module outside this
# repository, using traceplug with the README's recipe for doing so before it
# is published, exactly as the README writes it:
#
#   1. a new module (example.com/app, in a temporary directory), holding the
#      Quick start's program as README.md quotes it (the Go block after
#      <!-- snippet: examples/quickstart/main.go -->), which imports the root
#      module and a nested one (backends/zipkin);
#   2. a second new module, holding the same program and a file that imports
#      every nested module a program may import (each backends/*/go.mod,
#      backends/*/*/go.mod and routers/*/go.mod, and grpctrace): the recipe
#      must cover each one.
#
# In each, with TRACEPLUG set to this repository's root, it runs the block
# after <!-- recipe: ... --> in README.md with bash, as it stands, then
# go build. It needs Go and the Go module proxy (for the program's other
# dependencies), and no go.work (GOWORK=off). It exits non-zero, saying what
# failed, when either module does not build. CI runs it:
#
#   scripts/outside-module.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readme=$root/README.md
program_marker='<!-- snippet: examples/quickstart/main.go -->'
recipe_marker_prefix='<!-- recipe:'

fail() {
  echo "outside-module: FAIL: $*" >&2
  exit 1
}

# block PREFIX: the fenced code block of README.md that starts on the line
# right after the first line starting with PREFIX. Fails when there is none.
block() {
  awk -v prefix="$1" '
    state == 0 && index($0, prefix) == 1 { state = 1; next }
    state == 1 { if ($0 ~ /^```/) { state = 2; next } exit }
    state == 2 { if ($0 == "```") { state = 3; exit } print }
    END { if (state != 3) exit 1 }
  ' "$readme"
}

program=$(block "$program_marker") ||
  fail "README.md has no Go block after the line $program_marker (the Quick start's program)"
recipe=$(block "$recipe_marker_prefix") ||
  fail "README.md has no code block after a line starting with $recipe_marker_prefix (the recipe for using traceplug before it is published)"

# Every nested module a user may import, as a path below the root module.
nested=$(cd "$root" && for f in backends/*/go.mod backends/*/*/go.mod grpctrace/go.mod routers/*/go.mod; do if [ -f "$f" ]; then dirname "$f"; fi; done)
[ -n "$nested" ] || fail "found no nested module (backends/*/go.mod, grpctrace/go.mod, routers/*/go.mod) under $root"
for m in $nested; do
  grep -q "github.com/traceplug/traceplug/$m=" <<<"$recipe" ||
    fail "README.md's recipe has no replace for the nested module github.com/traceplug/traceplug/$m"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/traceplug-outside.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
case "$tmp/" in
  "$root"/*) fail "the temporary directory $tmp is inside the repository; set TMPDIR elsewhere" ;;
esac

export TRACEPLUG=$root # the recipe's "your copy of this repository"
export GOWORK=off      # a user's module has no go.work

# build NAME [EXTRA_FILE_CONTENT]: a new module in $tmp/NAME with the Quick
# start's program (and, if given, extra.go), the recipe applied, built.
build() {
  local name=$1 extra=${2:-}
  local dir=$tmp/$name
  mkdir "$dir"
  cd "$dir"
  echo "== $name: a new module in $dir"
  go mod init example.com/app 2>&1
  printf '%s\n' "$program" >main.go
  if [ -n "$extra" ]; then printf '%s\n' "$extra" >extra.go; fi
  echo "== $name: the recipe, as README.md writes it, with TRACEPLUG=$TRACEPLUG"
  printf '%s\n' "$recipe" | sed 's/^/   | /'
  bash -euo pipefail -c "$recipe" ||
    fail "$name: README.md's recipe failed in $dir (its output is above)"
  echo "== $name: go build"
  go build -o app . ||
    fail "$name: the Quick start does not build in a module outside the repository with README.md's recipe (go's output is above)"
  go list -m -f '   {{.Path}} => {{with .Replace}}{{.Path}}{{else}}(no replace: the Go proxy){{end}}' all |
    grep 'github.com/traceplug/'
  echo "== $name: built"
}

build quickstart

imports=$(for m in $nested; do printf '\t_ "github.com/traceplug/traceplug/%s"\n' "$m"; done)
build every-module "$(printf '// Every nested module of traceplug, with the recipe that makes them usable.\npackage main\n\nimport (\n%s\n)' "$imports")"

echo "outside-module: OK: the Quick start builds outside the repository with README.md's recipe, alone and with every nested module ($(echo $nested | tr ' ' ','))"
