"""The chain API other append-only records (armory custody, meetings, requests, actions) build on."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from incidents import trail
from incidents.trail import ChainCheck, ChainLink, chain_hash, chain_verify, head_seal

pytestmark = pytest.mark.django_db


def build_chain(contents):
    links, prev = [], trail.GENESIS
    for seq, content in enumerate(contents, start=1):
        digest = chain_hash(prev_hash=prev, content=content)
        links.append(ChainLink(seq=seq, prev_hash=prev, hash=digest, content=content))
        prev = digest
    return links


def test_a_sealed_chain_verifies():
    links = build_chain([{"weapon": 1, "to": "armorer"}, {"weapon": 1, "to": "actor"}])
    seal = head_seal(chain="custody:7", seq=2, head=links[-1].hash)
    check = chain_verify(chain="custody:7", links=links, head_seq=2, head_hash=links[-1].hash, head_seal=seal)
    assert check.intact and check.events == 2


def test_a_chain_rewritten_with_recomputed_hashes_fails_its_seal():
    original = build_chain([{"weapon": 1, "to": "armorer"}, {"weapon": 1, "to": "actor"}])
    seal = head_seal(chain="custody:7", seq=2, head=original[-1].hash)
    # Someone with database access rewrites the first link and recomputes every hash and the head.
    forged = build_chain([{"weapon": 1, "to": "nobody"}, {"weapon": 1, "to": "actor"}])
    check = chain_verify(chain="custody:7", links=forged, head_seq=2, head_hash=forged[-1].hash, head_seal=seal)
    assert not check.intact
    assert "seal" in check.reason


def test_a_seal_made_with_a_retired_key_still_verifies():
    links = build_chain([{"n": 1}])
    with override_settings(TRAIL_SEAL_KEY="old-key"):
        seal = head_seal(chain="c:1", seq=1, head=links[0].hash)
    with override_settings(TRAIL_SEAL_KEY="new-key", TRAIL_SEAL_KEY_FALLBACKS=["old-key"]):
        assert chain_verify(chain="c:1", links=links, head_seq=1, head_hash=links[0].hash, head_seal=seal).intact
    with override_settings(TRAIL_SEAL_KEY="new-key", TRAIL_SEAL_KEY_FALLBACKS=[]):
        assert not chain_verify(chain="c:1", links=links, head_seq=1, head_hash=links[0].hash, head_seal=seal).intact


def test_verify_trail_reports_a_broken_registered_chain(monkeypatch, capsys):
    monkeypatch.setattr(trail, "_CHAINS", {})

    def custody_checks():
        yield ChainCheck("custody:7", 3, False, 2, "content does not match its hash")

    trail.chain_register("custody", custody_checks)
    with pytest.raises(CommandError, match="1 of 1 trails are broken"):
        call_command("verify_trail")
    assert "custody custody:7: trail broken at event 2" in capsys.readouterr().err
