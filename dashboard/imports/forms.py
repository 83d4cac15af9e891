"""The mapping page's form: the import's settings, one select per source column, and the
preview that follows whatever is selected.

The page is a GET form (every change re-renders the mapping area with htmx, or with the
"Refresh preview" button without JavaScript) that POSTs to the start view. The selects are
named ``map:<column>``; a profile chosen anew (``profile`` differs from the hidden
``applied_profile``) replaces them with the profile's mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.http import QueryDict

from cmplatform.core.models import Campaign, Channel
from dashboard.imports.services import ImportChoices
from dashboard.imports.uploads import StagedUpload
from ingestion import mapping as canonical
from ingestion.mapping import MappingError
from ingestion.models import MappingProfile
from ingestion.preview import Preview, import_preview
from ingestion.records import REQUIRE_CONTACT, REQUIRE_NAME, Rules
from ingestion.services import source_name_default
from ingestion.sources import SourceError

FIELD_LABELS = {
    canonical.SOURCE_KEY: "Record key",
    canonical.FULL_NAME: "Full name",
    canonical.FIRST_NAME: "First name",
    canonical.MIDDLE_NAME: "Middle name",
    canonical.LAST_NAME: "Last name",
    canonical.SUFFIX: "Name suffix",
    canonical.PHONE: "Phone",
    canonical.MOBILE_PHONE: "Mobile phone",
    canonical.EMAIL: "E-mail",
    canonical.STREET: "Street",
    canonical.STREET2: "Street line 2",
    canonical.CITY: "City",
    canonical.STATE: "State",
    canonical.ZIP: "ZIP",
    canonical.ZIP4: "ZIP+4",
    canonical.COUNTY: "County",
    canonical.LEAD_STATUS: "Lead status",
    canonical.SOURCE_UPDATED_AT: "Updated at (source)",
    canonical.SOURCE_CREATED_AT: "Created at (source)",
    canonical.TOUCHED_AT: "Contacted on",
}
FIELD_CHOICES = [("", "— ignore —")] + [
    (name, FIELD_LABELS.get(name, name)) for name in canonical.CANONICAL_FIELDS
]
REQUIREMENT_LABELS = {
    REQUIRE_NAME: "a name (first, last or full)",
    REQUIRE_CONTACT: "a contact (phone, e-mail or street)",
}
READING_OPTIONS = ("sheet", "table", "delimiter", "encoding")
SELECT_PREFIX = "map:"


class ImportSettingsForm(forms.Form):
    """The import's settings besides the column mapping."""

    source = forms.RegexField(
        regex=r"^[A-Za-z0-9_.:-]{1,64}$",
        max_length=64,
        help_text="The namespace of this source's record keys; rows of a later file of the "
        "same source with the same key update the same records.",
        error_messages={"invalid": "Use letters, digits and _ . : - (at most 64)."},
    )
    profile = forms.CharField(required=False, max_length=100)
    applied_profile = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)
    save_profile = forms.CharField(
        required=False, max_length=100, label="Save this mapping as profile"
    )
    channel = forms.ChoiceField(
        required=False,
        choices=[("", "Infer from the columns (or none)"), *Channel.choices],
        help_text="The channel the file reports contacts on (a campaign file).",
    )
    campaign = forms.CharField(
        required=False,
        max_length=Campaign._meta.get_field("name").max_length,
        help_text="Contacts in this file are recorded as touchpoints of this campaign "
        "(created if new).",
    )
    force = forms.BooleanField(
        required=False, label="Import again even if these bytes were imported before"
    )
    sheet = forms.CharField(required=False, max_length=200)
    table = forms.CharField(required=False, max_length=200)
    delimiter = forms.CharField(
        required=False, max_length=3, strip=False, help_text="One character, or “tab”."
    )
    encoding = forms.CharField(required=False, max_length=40)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("campaign") and not data.get("channel"):
            self.add_error("channel", "Choose the channel of the campaign.")
        source, profile = data.get("source"), data.get("profile")
        if (
            source
            and profile
            and not MappingProfile.objects.filter(source=source, name=profile).exists()
        ):
            self.add_error("profile", f"Source {source!r} has no mapping profile {profile!r}.")
        return data


@dataclass
class MappingColumn:
    """One source column on the page: the field it feeds and how its previewed values fared."""

    index: int
    name: str
    field: str
    decided_by: str
    problems: int

    @property
    def label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field) if self.field else "ignored"


@dataclass
class MappingPage:
    """Everything the mapping page shows for one upload and one state of its form."""

    upload: StagedUpload
    form: ImportSettingsForm
    profiles: list[MappingProfile] = field(default_factory=list)
    preview: Preview | None = None
    columns: list[MappingColumn] = field(default_factory=list)
    read_error: str = ""
    mapping_error: str = ""
    applied_profile: str = ""
    channel_hint: str = ""

    @property
    def can_start(self) -> bool:
        return self.preview is not None and not self.mapping_error and not self.read_error

    @property
    def requirement_labels(self) -> list[str]:
        required = self.preview.required if self.preview else Rules().required
        return [REQUIREMENT_LABELS.get(name, FIELD_LABELS.get(name, name)) for name in required]

    @property
    def preview_rows(self) -> list[dict[str, Any]]:
        """The previewed rows with each value beside its problems."""
        if self.preview is None:
            return []
        return [
            {
                "row": row,
                "cells": [
                    {"value": value, "problems": () if self.mapping_error else problems}
                    for value, problems in zip(row.values, row.problems, strict=True)
                ],
            }
            for row in self.preview.rows
        ]

    def choices(self) -> ImportChoices:
        """The operator's choices, for :func:`dashboard.imports.services.staged_upload_import`:
        every column mapped explicitly, as the page showed it."""
        if self.preview is None or not self.form.is_valid():
            raise ValueError("The mapping page is not ready to start.")
        data = self.form.cleaned_data
        return ImportChoices(
            source=data["source"],
            mapping={column.name: column.field or None for column in self.columns},
            profile=data["profile"],
            save_profile=data["save_profile"],
            channel=data["channel"],
            campaign=data["campaign"],
            options=_reading_options(data),
            force=data["force"],
        )


def _reading_options(values: Any) -> dict[str, str]:
    options = {name: values.get(name) for name in READING_OPTIONS if values.get(name)}
    if options.get("delimiter", "").lower() in ("tab", "\\t"):
        options["delimiter"] = "\t"
    return options


def mapping_page(upload: StagedUpload, data: QueryDict | None) -> MappingPage:
    """The mapping page of ``upload`` for the submitted ``data`` (``None``: first visit)."""
    initial = {"source": source_name_default(upload.name)}
    form = ImportSettingsForm(data, initial=initial) if data is not None else None
    if form is None:
        form = ImportSettingsForm(initial=initial)
        values: dict[str, Any] = dict(initial)
    else:
        form.is_valid()
        # Raw values where a field is invalid: the preview still follows what was typed.
        values = {name: form.data.get(name, "") for name in form.fields}
        values.update(getattr(form, "cleaned_data", {}))
    source = values.get("source") or initial["source"]
    page = MappingPage(upload=upload, form=form)
    page.profiles = list(MappingProfile.objects.filter(source=source).order_by("name")[:200])
    profile = next((p for p in page.profiles if p.name == values.get("profile")), None)
    page.applied_profile = profile.name if profile else ""
    base: dict[str, str | None] = dict(profile.mapping) if profile else {}
    required = tuple(profile.required_fields) if profile and profile.required_fields else None
    # The selects speak unless a profile was chosen since they were rendered.
    chosen_now = data is not None and values.get("profile", "") != values.get("applied_profile")
    selects = {} if data is None or chosen_now else _selects(data)
    options = _reading_options(values)
    try:
        preview = import_preview(
            upload.data_path, options=options, explicit=base, required=required
        )
    except SourceError as error:
        page.read_error = str(error)
        return page
    except MappingError as error:
        # The profile names columns this file lacks: show the file as the engine matches it.
        page.mapping_error = f"Profile {page.applied_profile!r} does not fit this file: {error}"
        base = {}
        preview = import_preview(upload.data_path, options=options, required=required)
    automatic = {column: preview.field_of(column) for column in preview.columns}
    changed = {
        c: selects[c] for c in preview.columns if c in selects and selects[c] != automatic[c]
    }
    if changed:
        try:
            preview = import_preview(
                upload.data_path,
                options=options,
                explicit={**base, **{c: target or None for c, target in changed.items()}},
                required=required,
            )
        except MappingError as error:
            page.mapping_error = str(error)
    page.preview = preview
    for index, column in enumerate(preview.columns):
        if page.mapping_error:
            chosen = selects.get(column, automatic[column])
        else:
            chosen = preview.field_of(column)
        if column in changed:
            how = "changed"
        elif column in base:
            how = "profile"
        elif automatic[column] and not chosen:
            how = "displaced"  # its field was given to another column
        else:
            how = "auto" if chosen else ""
        page.columns.append(
            MappingColumn(
                index=index,
                name=column,
                field=chosen,
                decided_by=how,
                problems=0 if page.mapping_error else preview.problems_by_column.get(column, 0),
            )
        )
    if not values.get("channel") and preview.mapping.columns_of(canonical.TOUCHED_AT):
        page.channel_hint = "The import infers the channel from the contact-date column's name."
    return page


def _selects(data: QueryDict) -> dict[str, str]:
    return {
        key[len(SELECT_PREFIX) :]: value
        for key, value in data.items()
        if key.startswith(SELECT_PREFIX) and (value == "" or value in canonical.CANONICAL_FIELDS)
    }
