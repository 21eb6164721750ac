#!/usr/bin/env python3
"""test/fuzz/scanner_rule.py: the rule for secret scanners that README.md
publishes ("A rule for secret scanners"), written from the README alone, is
checked against the C code.

Reads the output of `scan_unit --emit` on stdin: tokens made by the C
encoder, which the rule must accept whole and refuse after any one-character
change, truncation or extension; and log-like lines, in which the rule must
find exactly what the C scanner found.  Exits non-zero on any difference.
"""
import re
import sys
import zlib

# --- the published rule, as in README.md -------------------------------
RULE = re.compile(rb'(?<![A-Za-z0-9_])[A-Za-z0-9_]{1,32}[0-9A-Za-z]{49}(?![A-Za-z0-9_])')
DIGITS = b'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def b62(n, width):
    """n as width base62 digits, most significant first"""
    return bytes(DIGITS[n // 62 ** i % 62] for i in reversed(range(width)))


def checksum_ok(m):
    """the checksum rule for one regex match m (bytes)"""
    head, check = m[:-6], m[-6:]          # prefix + body, check
    body = head[-43:]
    value = 0
    for c in body:
        value = value * 62 + DIGITS.index(c)
    return value < 2 ** 256 and check == b62(zlib.crc32(head), 6)


def find(text, prefix=None):
    """every token in text (bytes); with prefix, only those of that prefix"""
    rule = RULE if prefix is None else re.compile(
        rb'(?<![A-Za-z0-9_])' + re.escape(prefix) + rb'[0-9A-Za-z]{49}(?![A-Za-z0-9_])')
    return [m.group() for m in rule.finditer(text) if checksum_ok(m.group())]
# ------------------------------------------------------------------------


def main():
    tokens, texts, cur = [], [], None
    for line in sys.stdin.buffer.read().split(b'\n'):
        kind, _, rest = line.partition(b' ')
        if kind == b'token':
            tokens.append(rest)
        elif kind == b'text':
            cur = (rest, [])
        elif kind == b'found':
            cur[1].append(rest)
        elif kind == b'end':
            texts.append(cur)
    failures = 0
    word = DIGITS + b'_'

    def fail(what):
        nonlocal failures
        failures += 1
        if failures <= 10:
            print('scanner_rule: ' + what, file=sys.stderr)

    for i, tok in enumerate(tokens):
        if find(tok) != [tok]:
            fail('a token made by the C encoder is not accepted (#%d)' % i)
        if find(b'id=' + tok + b';') != [tok] or find(b'x' + tok) or find(tok + b'_'):
            fail('word boundaries (#%d)' % i)
        plen = len(tok) - 49
        if find(b' ' + tok, tok[:plen]) != [tok] or find(tok, tok[:plen] + b'x'):
            fail('the prefix form of the rule (#%d)' % i)
        for cut in range(len(tok)):
            if find(tok[:cut]) or find(tok[cut + 1:]):
                fail('a truncation is accepted (#%d)' % i)
        # every substitution of every character for the first 20 tokens,
        # one random-ish position each for the rest
        positions = range(len(tok)) if i < 20 else [i * 7 % len(tok)]
        for p in positions:
            for c in word:
                if c != tok[p] and find(tok[:p] + bytes([c]) + tok[p + 1:]):
                    fail('a one-character change is accepted (#%d at %d)' % (i, p))
    found = 0
    for text, want in texts:
        got = find(text)
        found += len(got)
        if got != want:
            fail('the rule and the C scanner differ on a line')
    if len(tokens) < 100 or len(texts) < 100 or found < 100:
        fail('too little input (%d tokens, %d lines, %d found)' % (len(tokens), len(texts), found))
    print('scanner_rule: %d tokens and %d lines (%d tokens in them): %s'
          % (len(tokens), len(texts), found, 'ok' if failures == 0 else '%d FAILURES' % failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
