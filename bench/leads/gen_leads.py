#!/usr/bin/env python3
"""Deterministic generator of lead files (CSV or JSON) for the lead-import benchmark.

    python3 bench/leads/gen_leads.py --rows 1000000 --seed 42 --out bench/out/leads-1m.csv
    python3 bench/leads/gen_leads.py --rows 200 --seed 7 --format json --out bench/out/leads-200.json

Columns: name,phone,email,source,consent,consent_at,consent_source,postcode
(postcode is an extra column the importer does not know about).

Phone column, by design (shares are of all rows, approximate):
  * ~85 % unique, valid UK numbers: mobiles 07 4/5/7/8/9 + 8 digits from blocks libphonenumber
    calls valid (never the 07700 900xxx drama range), landlines 0113 2xx xxxx, 0161 2xx xxxx,
    020 7xxx xxxx, 0121 2xx xxxx, 0131 2xx xxxx; written in mixed formats
    (07911 123456, +44 7911 123456, 0044 7911 123456, 447911123456, (07911) 123-456,
    +44 (0)7911 123456, 07911123456, +447911123456, 07911-123-456, sometimes padded with blanks);
  * ~10 % duplicates of an earlier row's number, written in a different format;
  * ~5 % invalid: too short, too long, letters, empty, premium-rate (09xx, which libphonenumber
    does parse as valid PREMIUM_RATE, so a "valid phone" count includes them), Ofcom drama ranges
    (07700 900xxx, 01632 960xxx, which libphonenumber does not call valid, though it calls them
    "possible"; so are the too-short and letter ones, one or a few digits short).
  A libphonenumber isValidNumber count on a file is therefore phone_unique_valid + phone_duplicate
  + invalid_premium (see OUT.meta.json).
Names: some with commas, quotes, apostrophes, accents, a few with an embedded newline and a few
formula-looking (=SUM(A1), @cmd, +cmd, -1+2); CSV-quoted as RFC 4180 requires.
The same --seed and --rows give byte-identical output, and the first N rows of a bigger file equal
the N-row file with the same seed.

The file is written to OUT.tmp and renamed, so a present OUT is always complete; a summary of what
was generated goes to stderr and, for --out FILE, to FILE.meta.json.
"""
import argparse
import csv
import json
import os
import random
import sys
import time

FIRST = ("Oliver George Harry Jack Jacob Noah Charlie Muhammad Thomas Oscar William James Leo Alfie "
         "Henry Joshua Freddie Archie Ethan Isaac Olivia Amelia Isla Ava Emily Sophia Grace Mia "
         "Poppy Ella Lily Evie Isabella Sophie Ivy Freya Harper Willow Charlotte Jessica Aoife Siobhan "
         "Niamh Priya Aarav Fatima Zoë José Chloé Renée Bartłomiej Agnieszka Wei Yusuf Omar Amara "
         "Chidi Kwame Anya Mateo Lucía").split()
LAST = ("Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
        "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips Mason "
        "Mitchell Rose Davis Rodríguez Cox Alexander Morgan Moore Martin Price Kowalski Nowak Murphy "
        "Kelly Singh Ahmed Ali Okafor Mensah Chen Wang Nguyen García Müller O'Brien O'Neill "
        "D'Souza McDonald MacLeod Fitzgerald Ferguson Bennett Hughes Edwards").split()
SOURCES = ("web-form", "facebook-ads", "google-ads", "referral", "landing-page", "partner-feed")
SOURCE_W = (40, 20, 20, 8, 8, 4)
DOMAINS = ("Example.COM", "example.com", "Mail.Example.co.uk", "EXAMPLE.ORG", "example.net",
           "Bench.Example")
FORMULAS = ("=SUM(A1)", "@cmd", "+cmd|' /C calc'!A0", "-1+2", "=HYPERLINK(\"http://x.example\")",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1")
POST_AREAS = ("LS", "M", "B", "EH", "SW", "E", "N", "NW", "SE", "G", "CF", "BS", "L", "S", "NG")
POST_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Mobile blocks 07AB + C: (AB, allowed C digits). From libphonenumber's GB mobile pattern, keeping
# only blocks where every following digit string is valid (so no 07700, 0745x, 0752 4, 0781 1...).
_ALL = "0123456789"
MOBILE_BLOCKS = [(ab, _ALL) for ab in ("40", "41", "42", "43", "44", "46", "47", "48", "49",
                                        "51", "53", "54", "55", "56", "57", "58", "59",
                                        "71", "72", "73", "74", "75", "76",
                                        "80", "81", "84", "85", "86", "87", "88", "89",
                                        "90", "92", "94", "95", "96", "97", "98", "99")]
MOBILE_BLOCKS += [("77", "1234567"), ("52", "01235789"), ("50", "012345678"), ("91", "02345789"),
                  ("93", "0123456789"[:6] + "89"), ("45", "012345689"), ("82", "012345678"),
                  ("83", "012345678"), ("79", "012345689"), ("78", "02345789")]
# Landlines: (national prefix after 0, digits that follow, display grouping of the national number)
LANDLINES = (("1132", 6, (3, 3, 4)),    # 0113 2xx xxxx  Leeds
             ("1612", 6, (3, 3, 4)),    # 0161 2xx xxxx  Manchester
             ("1212", 6, (3, 3, 4)),    # 0121 2xx xxxx  Birmingham
             ("1312", 6, (3, 3, 4)),    # 0131 2xx xxxx  Edinburgh
             ("207", 7, (2, 4, 4)),     # 020 7xxx xxxx  London
             ("208", 7, (2, 4, 4)))     # 020 8xxx xxxx  London
N_FORMATS = 10


def fmt_phone(nat, groups, f):
    """nat: national significant number (no leading 0), groups: display grouping, f: format 0..9."""
    parts = []
    i = 0
    for g in groups:
        parts.append(nat[i:i + g])
        i += g
    sp = " ".join(parts)
    if f == 0:
        return "0" + sp                                  # 07911 123456 / 0113 496 0000
    if f == 1:
        return "+44 " + sp                               # +44 7911 123456
    if f == 2:
        return "0044 " + sp                              # 0044 7911 123456
    if f == 3:
        return "44" + nat                                # 447911123456
    if f == 4:
        rest = nat[groups[0]:]
        h = len(rest) // 2
        return "(0" + parts[0] + ") " + rest[:h] + "-" + rest[h:]   # (07911) 123-456
    if f == 5:
        return "+44 (0)" + sp                            # +44 (0)7911 123456
    if f == 6:
        return "0" + nat                                 # 07911123456
    if f == 7:
        return "+44" + nat                               # +447911123456
    if f == 8:
        return "0" + "-".join(parts)                     # 07911-123-456 style
    return " 0" + sp + " "                               # padded with blanks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1000, help="data rows (default 1000)")
    ap.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    ap.add_argument("--out", default="-", help="output file, - for stdout (default)")
    ap.add_argument("--format", choices=("csv", "json"), default="csv")
    ap.add_argument("--crlf", action="store_true", help="CSV: CRLF line ends (default LF)")
    ap.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 BOM")
    ap.add_argument("--dup-rate", type=float, default=0.10, help="share of duplicate phones (0.10)")
    ap.add_argument("--invalid-rate", type=float, default=0.05, help="share of invalid phones (0.05)")
    ap.add_argument("--with-kind", action="store_true",
                    help="add a last column phone_kind (unique/duplicate/invalid-<why>), for checking tools")
    a = ap.parse_args()
    if a.rows < 0:
        ap.error("--rows must be >= 0")

    t0 = time.time()
    rnd = random.Random(a.seed)
    r = rnd.random
    ri = rnd.randrange
    ch = rnd.choice
    seen = set()       # national numbers used so far (ints), so "unique" numbers really are
    pool = []          # (national, groups, format) of unique valid numbers, for duplicates
    pool_people = []   # (name, email) of the row that introduced the pool entry
    counts = {"rows": a.rows, "phone_unique_valid": 0, "phone_duplicate": 0, "phone_invalid": 0,
              "consent_no": 0, "name_with_newline": 0,
              "name_with_comma_or_quote": 0, "name_formula": 0, "mobile": 0, "landline": 0}
    inv_kinds = ("short", "long", "letters", "empty", "premium", "drama")
    counts.update(("invalid_" + k, 0) for k in inv_kinds)
    base_ts = 1735689600  # 2025-01-01T00:00:00Z
    dup_cut = a.invalid_rate + a.dup_rate

    def new_number():
        while True:
            if r() < 0.8:
                ab, cs = ch(MOBILE_BLOCKS)
                nat = "7" + ab + ch(cs) + "%06d" % ri(1000000)
                groups = (4, 6)
                kind = "mobile"
            else:
                pre, n, groups = ch(LANDLINES)
                nat = pre + "%0*d" % (n, ri(10 ** n))
                kind = "landline"
            k = int(nat)
            if k not in seen:
                seen.add(k)
                return nat, groups, kind

    if a.out == "-":
        fh = sys.stdout
        tmp = None
    else:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        tmp = a.out + ".tmp"
        fh = open(tmp, "w", encoding="utf-8", newline="")
    nl = "\r\n" if a.crlf else "\n"
    header = ("name", "phone", "email", "source", "consent", "consent_at", "consent_source", "postcode")
    if a.with_kind:
        header += ("phone_kind",)
    if a.format == "csv":
        if a.bom:
            fh.write("\ufeff")
        w = csv.writer(fh, lineterminator=nl, quoting=csv.QUOTE_MINIMAL)
        emit = w.writerow
        emit(header)
    else:
        fh.write("[")
        first_obj = [True]

        def emit(row):
            fh.write(("\n" if first_obj[0] else ",\n") + json.dumps(dict(zip(header, row)), ensure_ascii=False))
            first_obj[0] = False

    for _ in range(a.rows):
        fn = ch(FIRST)
        ln = ch(LAST)
        name = fn + " " + ln
        email = None
        is_new = False
        x = r()
        pkind = "unique"
        if x < a.invalid_rate:
            kind = ch(inv_kinds)
            pkind = "invalid-" + kind
            counts["invalid_" + kind] += 1
            if kind == "empty":
                phone = "" if r() < 0.7 else "  "
            elif kind == "premium":
                phone = fmt_phone("90" + "%08d" % ri(10 ** 8), (4, 6), ri(3))   # 09098 123456
            elif kind == "drama":
                phone = ("07700 900%03d" % ri(1000)) if r() < 0.5 else ("01632 960%03d" % ri(1000))
            else:
                nat, groups, _k = new_number()
                seen.discard(int(nat))
                if kind == "short":
                    nat = nat[:len(nat) - 2 - ri(3)]
                    phone = "0" + nat
                elif kind == "long":
                    phone = "0" + nat + "%02d" % ri(100)
                else:
                    p = list(fmt_phone(nat, groups, 0))
                    j = ri(2, len(p))
                    while p[j] == " ":            # replace a digit: libphonenumber drops the
                        j = ri(2, len(p))         # letter, leaving a number one digit short
                    p[j] = ch("ABCDEFOIlo")
                    phone = "".join(p) if r() < 0.8 else ch(("n/a", "none", "call me", "tbc", "unknown"))
            counts["phone_invalid"] += 1
        elif x < dup_cut and pool:
            j = ri(len(pool))
            nat, groups, f0 = pool[j]
            f = ri(N_FORMATS - 1)
            if f >= f0:
                f += 1
            phone = fmt_phone(nat, groups, f)
            if r() < 0.5:
                name, email = pool_people[j]
            counts["phone_duplicate"] += 1
            pkind = "duplicate"
        else:
            nat, groups, kind = new_number()
            f = ri(N_FORMATS)
            phone = fmt_phone(nat, groups, f)
            counts["phone_unique_valid"] += 1
            counts[kind] += 1
            pool.append((nat, groups, f))
            is_new = True
        if email is None:
            y = r()
            if y < 0.02:
                name = ln + ", " + fn                          # comma: must be quoted
                counts["name_with_comma_or_quote"] += 1
            elif y < 0.03:
                name = fn + ' "' + fn[:3] + '" ' + ln          # quotes: doubled inside quotes
                counts["name_with_comma_or_quote"] += 1
            elif y < 0.032:
                name = fn + "\n" + ln if r() < 0.5 else fn + " " + ln + "\r\nc/o reception"
                counts["name_with_newline"] += 1
            elif y < 0.0325:
                name = ch(FORMULAS)
                counts["name_formula"] += 1
            elif y < 0.035:
                name = name.upper() if r() < 0.5 else "  " + name.lower() + " "
            e_fn = fn if r() < 0.6 else fn.lower()
            e_ln = ln.replace("'", "") if r() < 0.6 else ln.lower().replace("'", "")
            email = e_fn + "." + e_ln + ("" if r() < 0.7 else str(ri(1, 100))) + "@" + ch(DOMAINS)
        if is_new:
            pool_people.append((name, email))
        consent = "yes" if r() < 0.93 else "no"
        if consent == "no":
            counts["consent_no"] += 1
        t = base_ts + ri(300 * 86400)
        consent_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        postcode = "%s%d %d%s%s" % (ch(POST_AREAS), ri(1, 30), ri(10), ch(POST_LETTERS), ch(POST_LETTERS))
        row = (name, phone, email, rnd.choices(SOURCES, SOURCE_W)[0], consent, consent_at, "web-form", postcode)
        emit(row + (pkind,) if a.with_kind else row)

    if a.format == "json":
        fh.write("\n]\n")
    if tmp is not None:
        fh.close()
        os.replace(tmp, a.out)
        size = os.path.getsize(a.out)
    else:
        fh.flush()
        size = -1
    counts.update(seed=a.seed, format=a.format, bytes=size, seconds=round(time.time() - t0, 2))
    if tmp is not None:
        with open(a.out + ".meta.json", "w") as m:
            json.dump(counts, m, indent=1, sort_keys=True)
            m.write("\n")
    print("gen_leads " + " ".join("%s=%s" % kv for kv in sorted(counts.items())), file=sys.stderr)


if __name__ == "__main__":
    main()
