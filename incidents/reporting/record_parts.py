"""The investigation record's building blocks: labelled fields in titled sections, which the record page
and the PDF lay out (incidents.reporting.exports builds the report's; record_investigation the
investigation's)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RecordField:
    label: str
    value: str
    long: bool = False


@dataclass(frozen=True)
class RecordSection:
    title: str
    fields: list[RecordField]
