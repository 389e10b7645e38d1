#!/usr/bin/env bash
# The project's C++ is clang-formatted (.clang-format). Lists the files that are not, with the
# command that fixes them. Skipped (77) outside a git checkout or without clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null && git rev-parse --git-dir >/dev/null 2>&1 || exit 77
mapfile -t files < <(git ls-files '*.cc' '*.h')
bad=()
for f in "${files[@]}"; do
  clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "not clang-formatted: ${bad[*]}"
  echo "fix: clang-format -i ${bad[*]}"
  exit 1
fi
echo "${#files[@]} files formatted"
