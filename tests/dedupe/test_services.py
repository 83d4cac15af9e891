"""Golden-record runs and manual actions on the demo sources, ingested for real, on the
database the settings give (the suite runs on SQLite and MariaDB)."""

from __future__ import annotations

import csv
import time
from itertools import combinations
from pathlib import Path

import pytest
from django.core.files.storage import storages

from cmplatform.celery import app as celery_app
from cmplatform.core.models import AuditLog, Person, PersonDuplicate
from cmplatform.demo import generate_demo_sources
from cmplatform.lib.embedded_worker import embedded_worker_start
from dedupe.models import DedupeLog, DedupeRun, DedupeShard, ManualDecision
from dedupe.services import dedupe_run, person_make_golden, person_unmerge, persons_merge
from dedupe.services.sharded import dedupe_run_split, dedupe_shard_compare
from dedupe.tasks import enqueue_shard
from ingestion.models import SourceRecord
from ingestion.services import import_file, import_run
from tests.factories import DEMO_FILES, user_create


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out_dir = tmp_path_factory.mktemp("dedupe_demo")
    generate_demo_sources(rows=2000, out_dir=out_dir, seed=7)
    return out_dir


def ingest_demo(demo_dir: Path) -> None:
    for name in DEMO_FILES:
        import_run(import_file(demo_dir / name).pk, workers=0)


def links() -> dict[int, int | None]:
    return dict(Person.objects.order_by("pk").values_list("pk", "merged_into_id"))


def pairwise_precision_recall(demo_dir: Path) -> tuple[float, float]:
    with open(demo_dir / "ground_truth.csv", encoding="utf-8", newline="") as handle:
        truth = {(r["source"], r["source_key"]): r["entity_id"] for r in csv.DictReader(handle)}
    golden = {
        (source, key): merged or person
        for source, key, person, merged in SourceRecord.objects.values_list(
            "source", "source_key", "person_id", "person__merged_into_id"
        )
    }
    keys = [key for key in golden if key in truth]
    by_entity: dict[str, list[int]] = {}
    for key in keys:
        by_entity.setdefault(truth[key], []).append(golden[key])
    true_pairs = sum(len(g) * (len(g) - 1) // 2 for g in by_entity.values())
    hits = sum(1 for g in by_entity.values() for a, b in combinations(g, 2) if a == b)
    by_golden: dict[int, int] = {}
    for key in keys:
        by_golden[golden[key]] = by_golden.get(golden[key], 0) + 1
    predicted = sum(n * (n - 1) // 2 for n in by_golden.values())
    return hits / predicted, hits / true_pairs


@pytest.mark.django_db(transaction=True)
def test_a_full_run_finds_the_duplicates_precisely_and_is_deterministic(demo_dir):
    ingest_demo(demo_dir)

    first = dedupe_run()
    precision, recall = pairwise_precision_recall(demo_dir)

    assert first.status == DedupeRun.Status.COMPLETE
    assert precision >= 0.97, precision
    assert recall >= 0.9, recall
    assert first.linked == Person.objects.filter(is_duplicate=True).count() > 0
    assert PersonDuplicate.objects.count() == first.linked
    assert DedupeLog.objects.filter(action="merge").count() == first.linked
    # every link carries its score and evidence
    link = PersonDuplicate.objects.order_by("pk").first()
    assert 0.97 <= link.match_score <= 1.0
    assert set(link.evidence["fields"]) >= {"first_name", "last_name", "phone", "email"}
    state = links()

    again = dedupe_run()

    assert links() == state
    assert (again.linked, again.unlinked) == (0, 0)
    assert again.model == first.model


@pytest.mark.django_db(transaction=True)
def test_unmerge_restores_both_persons_and_a_full_run_keeps_them_apart(demo_dir):
    ingest_demo(demo_dir)
    own = {
        p.pk: (p.first_name, p.middle_name, p.last_name, p.suffix, p.zip5)
        for p in Person.objects.all()
    }
    dedupe_run()
    filled = Person.objects.exclude(survivorship={}).filter(merged_duplicates__isnull=False).first()
    assert filled is not None, "survivorship filled a golden record's empty field"
    duplicate = filled.merged_duplicates.order_by("pk").first()
    operator = user_create("op", "operator")

    person_unmerge(person=duplicate, by=operator)

    for pk in (duplicate.pk, filled.pk):
        person = Person.objects.get(pk=pk)
        if not Person.objects.filter(merged_into=pk).exists():
            assert (
                person.first_name,
                person.middle_name,
                person.last_name,
                person.suffix,
                person.zip5,
            ) == own[pk]
            assert person.survivorship == {}
    assert Person.objects.get(pk=duplicate.pk).merged_into_id is None
    entry = AuditLog.objects.get(action="unmerge")
    assert (entry.actor_username, entry.object_id) == ("op", str(duplicate.pk))

    dedupe_run()

    assert Person.objects.get(pk=duplicate.pk).merged_into_id != filled.pk
    assert Person.objects.get(pk=duplicate.pk).is_duplicate is False or (
        Person.objects.get(pk=duplicate.pk).merged_into_id != filled.pk
    )


@pytest.mark.django_db(transaction=True)
def test_a_manual_merge_and_golden_choice_survive_a_full_run(demo_dir):
    ingest_demo(demo_dir)
    dedupe_run()
    golden, stranger = Person.objects.filter(is_duplicate=False).order_by("pk")[:2]
    operator = user_create("op", "operator")

    persons_merge(
        golden=golden, duplicates=[stranger], values={"first_name": "Verified"}, by=operator
    )
    dedupe_run()

    stranger.refresh_from_db()
    golden.refresh_from_db()
    assert (stranger.is_duplicate, stranger.merged_into_id) == (True, golden.pk)
    assert golden.first_name == "Verified"
    assert "first_name" in golden.manual_override_fields
    assert ManualDecision.objects.filter(kind="same", is_active=True).count() == 1

    person_make_golden(person=stranger, by=operator)
    dedupe_run()

    stranger.refresh_from_db()
    golden.refresh_from_db()
    assert stranger.is_duplicate is False
    assert golden.merged_into_id == stranger.pk
    # the merge, its chosen first name (an override) and the golden choice (an override)
    assert list(
        AuditLog.objects.filter(action__in=["merge", "override"])
        .order_by("pk")
        .values_list("action", "object_id")
    ) == [
        ("merge", str(golden.pk)),
        ("override", str(golden.pk)),
        ("override", str(stranger.pk)),
    ]


@pytest.mark.django_db(transaction=True)
def test_an_incremental_run_decides_new_persons_like_a_full_run(demo_dir):
    ingest_demo(demo_dir)
    dedupe_run()
    full = links()
    newest = list(Person.objects.order_by("-pk").values_list("pk", flat=True)[:200])
    Person.objects.filter(pk__in=newest).update(
        is_duplicate=False, is_original=True, merged_into=None
    )
    Person.objects.filter(merged_into__in=newest).update(
        is_duplicate=False, is_original=True, merged_into=None
    )

    run = dedupe_run(person_ids=newest)

    assert run.mode == DedupeRun.Mode.INCREMENTAL
    agree = sum(1 for pk, golden in links().items() if full[pk] == golden)
    assert agree / len(full) >= 0.995


@pytest.mark.django_db(transaction=True)
def test_a_run_split_into_celery_tasks_gives_the_same_clusters_and_golden_ids(demo_dir):
    ingest_demo(demo_dir)
    single = dedupe_run()
    state = links()
    Person.objects.update(is_duplicate=False, is_original=True, merged_into=None)

    worker = embedded_worker_start(celery_app)
    try:
        split = dedupe_run_split(shards=3, enqueue=enqueue_shard)
        deadline = time.monotonic() + 120
        while split.status not in ("COMPLETE", "FAILED") and time.monotonic() < deadline:
            time.sleep(0.2)
            split.refresh_from_db()
    finally:
        worker.stop()

    assert (split.status, split.error) == ("COMPLETE", "")
    assert links() == state
    assert split.model == single.model
    assert split.linked == single.linked
    assert (
        sorted(DedupeShard.objects.filter(run=split).values_list("state", flat=True))
        == ["done"] * 3
    )
    landing = storages["landing"]
    assert not any(landing.exists(shard.file) for shard in DedupeShard.objects.filter(run=split))
    # a redelivered shard task finds its shard claimed and changes nothing
    finishes = []
    assert not dedupe_shard_compare(run_id=split.pk, index=0, enqueue_finish=finishes.append)
    assert finishes == []
