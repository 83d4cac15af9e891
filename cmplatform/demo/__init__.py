"""Seeded, realistic demo data: the customer's legacy sources, messy, with ground truth.

``generate_demo_sources(rows=..., out_dir=...)`` writes, into ``out_dir``:

=========================== ============ ===============================================
file                        kind         what
=========================== ============ ===============================================
legacy_owners.sql           mysql_dump   mysqldump of table ``owners`` (MySQL 5.7 CRM)
legacy_contacts.sqlite      sqlite       table ``contacts``, split name columns
campaign_mail_2024.csv      mail_csv     UTF-8 CSV, quoted commas / newlines / quotes
campaign_sms_2025.txt       sms_tsv      tab-delimited, cp1252, one full-name column
campaign_calls_2025.csv     call_csv     UTF-8 with BOM, semicolon-delimited
lead_list_q3.xlsx           xlsx         sheets ``Leads`` (data) and ``Notes`` (text)
ground_truth.csv                         source, source_key, entity_id, household_id
manifest.json                            counts, split, per-source layout and quirks
=========================== ============ ===============================================

About 12 % of the records are duplicates of a person already present (most across sources),
about 10 % of the people live in look-alike households (spouses, Sr/Jr father and son with the
same first and last name, siblings). Pure Python, no Django. Same seed and arguments give
byte-identical files.
"""

from .generator import (
    DEFAULT_SPLIT,
    DUPLICATE_RATE,
    GROUND_TRUTH_FILE,
    KINDS,
    MANIFEST_FILE,
    DemoManifest,
    DemoPlan,
    DemoSource,
    generate_demo_sources,
    split_rows,
)

__all__ = [
    "DEFAULT_SPLIT",
    "DUPLICATE_RATE",
    "GROUND_TRUTH_FILE",
    "KINDS",
    "MANIFEST_FILE",
    "DemoManifest",
    "DemoPlan",
    "DemoSource",
    "generate_demo_sources",
    "split_rows",
]
