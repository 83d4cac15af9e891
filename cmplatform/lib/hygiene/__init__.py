"""Data-hygiene normalisers shared by ingestion, golden-record resolution and compliance.

One module per concern; every function takes the raw value of a source cell, never raises on
bad data (it returns a result that says invalid and why, keeping the raw value), and has a fast
path for the common well-formed input that gives exactly the output of the full library it
falls back to (``tests/lib/hygiene`` proves it on thousands of generated inputs):

=============== ============================================ ==================================
module          entry points                                 library behind the fast path
=============== ============================================ ==================================
``phones``      ``normalize_phone``                          phonenumbers
``emails``      ``normalize_email``                          email-validator
``names``       ``normalize_name_parts``, ``parse_full_name``, nameparser, nicknames
                ``nickname_keys``
``addresses``   ``normalize_address``                        usaddress-scourgify
``locations``   ``normalize_state``, ``normalize_zip``       (tables in ``cmplatform.lib.usps``)
``dates``       ``parse_date``                               ``datetime.strptime``
=============== ============================================ ==================================

Plain Python: this package imports no Django app and not Django itself.
"""

from . import addresses, dates, emails, locations, names, phones


def clear_caches() -> None:
    """Empty every cache of the normalisers (benchmarks measure cold rates with it; a worker
    never needs it: the caches are bounded)."""
    for module in (addresses, dates, emails, locations, names, phones):
        for value in vars(module).values():
            cache_clear = getattr(value, "cache_clear", None)
            if callable(cache_clear):
                cache_clear()
    phones.forget_prefix_verdicts()
