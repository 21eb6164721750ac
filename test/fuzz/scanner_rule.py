#!/usr/bin/env python3
"""test/fuzz/scanner_rule.py: the rule for secret scanners that README.md
publishes ("A rule for secret scanners"), checked against the C code.

The rule is taken from the README itself: its Python block is run as it
stands, its regular expressions are read from the section's text.  Reads
the output of `scan_unit --emit` on stdin: tokens made by the C encoder,
which the rule must accept whole and refuse after any one-character change,
truncation or extension; words of a token's shape with a matching CRC that
are not tokens (body out of range or with '_', 33-character prefix), which
it must refuse; and log-like lines, in which the rule must find
exactly what the C scanner found.  The one-prefix form and the form for
engines without lookaround must agree.  Exits non-zero on any difference.
"""
import os
import re
import sys

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'README.md')
DIGITS = b'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'


def load_rule():
    """the section's regular expressions and its Python code, run"""
    text = open(README, encoding='utf-8').read()
    section = text.split('### A rule for secret scanners\n', 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'```(\w*)\n(.*?)```', section, re.S)
    plain = [b for lang, b in blocks if lang == ''][0].strip()
    code = [b for lang, b in blocks if lang == 'python'][0]
    one_prefix = re.search(r'for one prefix: `([^`]+)`', section).group(1)
    re2 = re.search(r'take each match of `([^`]+)` that has (\d+) to (\d+) characters, the last (\d+)',
                    section.replace('\n', ' '))
    re2_form = (re2.group(1), int(re2.group(2)), int(re2.group(3)), int(re2.group(4)))
    ns = {}
    exec(compile(code, README + ' (A rule for secret scanners)', 'exec'), ns)
    if ns['RULE'].pattern.decode() != plain:
        sys.exit('scanner_rule: the README\'s regular expression and its Python code differ')
    return ns['find_tokens'], ns['is_token'], one_prefix, re2_form


def main():
    find_tokens, is_token, one_prefix, (re2_run, re2_min, re2_max, re2_tail) = load_rule()
    # the one-prefix form, with pgat_ replaced by the prefix asked for
    pre, post = one_prefix.split('pgat_')

    def find_prefixed(text, prefix):
        rule = re.compile((pre + re.escape(prefix.decode()) + post).encode())
        return [m.group() for m in rule.finditer(text) if is_token(m.group())]

    run = re.compile(re2_run.encode())
    alnum = re.compile(rb'[0-9A-Za-z]+')

    def find_re2(text):
        return [w for w in (m.group() for m in run.finditer(text))
                if re2_min <= len(w) <= re2_max and alnum.fullmatch(w[-re2_tail:]) and is_token(w)]

    tokens, rejects, texts, cur = [], [], [], None
    for line in sys.stdin.buffer.read().split(b'\n'):
        kind, _, rest = line.partition(b' ')
        if kind == b'token':
            tokens.append(rest)
        elif kind == b'reject':
            rejects.append(rest)
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
        if find_tokens(tok) != [tok] or find_re2(tok) != [tok]:
            fail('a token made by the C encoder is not accepted (#%d)' % i)
        if (find_tokens(b'id=' + tok + b';') != [tok] or find_tokens(b'x' + tok)
                or find_tokens(tok + b'_')):
            fail('word boundaries (#%d)' % i)
        plen = len(tok) - 49
        if (find_prefixed(b' ' + tok, tok[:plen]) != [tok] or find_prefixed(tok, tok[:plen] + b'x')
                or find_prefixed(b'x' + tok, tok[:plen])):
            fail('the one-prefix form of the rule (#%d)' % i)
        for cut in range(len(tok)):
            if find_tokens(tok[:cut]) or find_tokens(tok[cut + 1:]):
                fail('a truncation is accepted (#%d)' % i)
        for c in word:
            if find_tokens(tok + bytes([c])) or find_tokens(bytes([c]) + tok):
                fail('an extension is accepted (#%d)' % i)
        # every substitution at every position for the first 20 tokens, at
        # one position each for the rest
        positions = range(len(tok)) if i < 20 else [i * 7 % len(tok)]
        for p in positions:
            for c in word:
                if c != tok[p] and find_tokens(tok[:p] + bytes([c]) + tok[p + 1:]):
                    fail('a one-character change is accepted (#%d at %d)' % (i, p))
    for i, w in enumerate(rejects):
        if find_tokens(w) or find_re2(w) or find_tokens(b' ' + w + b' '):
            fail('a word with a matching CRC that is not a token is accepted (#%d)' % i)
    found = 0
    for text, want in texts:
        got = find_tokens(text)
        found += len(got)
        if got != want:
            fail('the rule and the C scanner differ on a line')
        if find_re2(text) != want:
            fail('the RE2 form and the C scanner differ on a line')
        if find_prefixed(text, b'pgat_') != [t for t in want if t.startswith(b'pgat_') and len(t) == 54]:
            fail('the one-prefix form and the C scanner differ on a line')
    if len(tokens) < 100 or len(rejects) < 100 or len(texts) < 100 or found < 100:
        fail('too little input (%d tokens, %d rejects, %d lines, %d found)'
             % (len(tokens), len(rejects), len(texts), found))
    print('scanner_rule: the README\'s rule, on %d tokens, %d non-tokens and %d lines (%d tokens in them): %s'
          % (len(tokens), len(rejects), len(texts), found, 'ok' if failures == 0 else '%d FAILURES' % failures))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
