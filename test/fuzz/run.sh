#!/usr/bin/env bash
# test/fuzz/run.sh: unit tests and libFuzzer runs for the code with no
# PostgreSQL dependency: the token codec (src/token_codec.c), the token
# scanner (src/token_scan.c) and the blank-name rule (src/text_rules.c).
#
# Builds codec_unit.c and scan_unit.c with ASan+UBSan and runs them, checks
# the README's rule for secret scanners against the C code
# (scanner_rule.py), then builds the libFuzzer targets and runs each for
# FUZZ_SECONDS (default 60; the name rule, a much smaller input space, for
# a sixth of it).  Seeds are generated here; nothing is left behind.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$HERE/../../src
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
OUT=$(mktemp -d /tmp/apitoken-fuzz.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

. "$HERE/../../scripts/deps.sh"
ensure_deps fuzz

echo "== unit tests (ASan, UBSan)"
gcc -std=c99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$SRC" "$HERE/codec_unit.c" "$SRC/token_codec.c" "$SRC/text_rules.c" -o "$OUT/codec_unit"
"$OUT/codec_unit" >"$OUT/unit.tap"
grep -v '^ok' "$OUT/unit.tap" || true
echo "unit: $(grep -c '^ok' "$OUT/unit.tap") tests ok"
gcc -std=c99 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined -fno-sanitize-recover=all \
	-I"$SRC" "$HERE/scan_unit.c" "$SRC/token_scan.c" "$SRC/token_codec.c" -o "$OUT/scan_unit"
"$OUT/scan_unit" >"$OUT/scan_unit.tap"
grep -v '^ok' "$OUT/scan_unit.tap" || true
echo "scan unit: $(grep -c '^ok' "$OUT/scan_unit.tap") tests ok"

echo "== the README's rule for secret scanners, against the C encoder and scanner"
"$OUT/scan_unit" --emit >"$OUT/emit.txt"
python3 "$HERE/scanner_rule.py" <"$OUT/emit.txt"

for target in fuzz_decode fuzz_encode fuzz_scan fuzz_text_rules; do
	per_target=$FUZZ_SECONDS
	[ "$target" = fuzz_text_rules ] && per_target=$(( (FUZZ_SECONDS + 5) / 6 ))
	echo "== $target for ${per_target}s"
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I"$SRC" "$HERE/$target.c" "$SRC/token_codec.c" "$SRC/token_scan.c" "$SRC/text_rules.c" -o "$OUT/$target"
	mkdir -p "$OUT/corpus_$target"
	# seeds: a valid token, a truncated one, and noise
	printf 'pgat_003aUlTJC7tjlCTQj2uNU3MFagCXG9LRKRcwGkBIDlf' >"$OUT/corpus_$target/seed1"
	printf 'pgat_0000000000000000000000000000000000000000000' >"$OUT/corpus_$target/seed2"
	head -c 64 /dev/urandom >"$OUT/corpus_$target/seed3"
	if [ "$target" = fuzz_scan ]; then
		# log-like lines with tokens, as they are (mode byte 0) and with
		# the checks rewritten (2), and one with the prefix pgat_ (3)
		n=0
		grep -m 20 '^text ' "$OUT/emit.txt" | cut -c6- | while IFS= read -r line; do
			n=$((n + 1))
			printf '\000%s' "$line" >"$OUT/corpus_$target/line$n"
			printf '\002%s' "$line" >"$OUT/corpus_$target/fixed$n"
			printf '\003\004pgat_%s' "$line" >"$OUT/corpus_$target/prefixed$n"
		done
	fi
	(cd "$OUT" && "./$target" -max_total_time="$per_target" -max_len=4096 -print_final_stats=1 \
		"corpus_$target" >"$target.log" 2>&1) || { tail -n 40 "$OUT/$target.log"; exit 1; }
	grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$OUT/$target.log" | tail -n 2
done
echo "fuzz: unit tests and fuzzing (${FUZZ_SECONDS}s per codec target) passed"
