#!/usr/bin/env bash
# test/fuzz/run.sh: unit tests and libFuzzer runs for the token codec
# (src/token_codec.c), which has no PostgreSQL dependency.
#
# Builds codec_unit.c with ASan+UBSan and runs it, then builds the two
# libFuzzer targets and runs each for FUZZ_SECONDS (default 60).  Seeds are generated here; nothing is left behind.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/../../src
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=$(mktemp -d /tmp/apitoken-fuzz.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

for tool in gcc clang; do
	command -v $tool >/dev/null || { echo "$tool is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
done

echo "== unit tests (ASan, UBSan)"
gcc -std=c99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$SRC" "$HERE/codec_unit.c" "$SRC/token_codec.c" -o "$OUT/codec_unit"
"$OUT/codec_unit" >"$OUT/unit.tap"
grep -v '^ok' "$OUT/unit.tap" || true
echo "unit: $(grep -c '^ok' "$OUT/unit.tap") tests ok"

per_target=$FUZZ_SECONDS
for target in fuzz_decode fuzz_encode; do
	echo "== $target for ${per_target}s"
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I"$SRC" "$HERE/$target.c" "$SRC/token_codec.c" -o "$OUT/$target"
	mkdir -p "$OUT/corpus_$target"
	# seeds: a valid token, a truncated one, and noise
	printf 'pgat_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf' >"$OUT/corpus_$target/seed1"
	printf 'pgat_0000000000000000000000000000000000000000000' >"$OUT/corpus_$target/seed2"
	head -c 64 /dev/urandom >"$OUT/corpus_$target/seed3"
	(cd "$OUT" && "./$target" -max_total_time="$per_target" -max_len=4096 -print_final_stats=1 \
		"corpus_$target" >"$target.log" 2>&1) || { tail -n 40 "$OUT/$target.log"; exit 1; }
	grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$OUT/$target.log" | tail -n 2
done
echo "fuzz: codec unit tests and ${FUZZ_SECONDS}s of fuzzing per target passed"
