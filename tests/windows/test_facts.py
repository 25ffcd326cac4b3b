"""Inventory facts through WMI (Wine implements Win32_BIOS and Win32_ComputerSystem)."""

from __future__ import annotations

from guruconnect.agent.facts_windows import service_tag, windows_facts, wmi_identity


def test_wmi_answers_manufacturer_and_model() -> None:
    identity = wmi_identity()
    assert identity.manufacturer and identity.model, identity


def test_facts_use_wmi() -> None:
    facts = windows_facts()
    identity = wmi_identity()
    assert facts.os_type == "windows" and facts.os_name
    assert (facts.manufacturer, facts.model) == (identity.manufacturer, identity.model)
    assert facts.serial_number == identity.serial_number


def test_service_tag_is_the_serial_on_dell_only() -> None:
    assert service_tag("Dell Inc.", "5CG1234XYZ") == "5CG1234XYZ"
    assert service_tag("LENOVO", "PF1ABCDE") == ""
