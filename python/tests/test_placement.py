"""Placements: the topology read from a sysfs tree, the placements it offers, the
CPUs a real worker, local peer and measuring process are pinned to (read back
from /proc/<pid>/status), what the results file records, and the errors."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from results_factory import make_results, write_results

from interop_bench import cli, results_file, strategies
from interop_bench.analysis.load import load
from interop_bench.report.environment import rows as environment_rows
from interop_bench.runner import placement
from interop_bench.runner.placement import Cpu, PlacementError
from interop_bench.runner.plan import PlanError
from interop_bench.runner.request import new as new_request
from interop_bench.strategies._transport import placement as transport
from interop_bench.strategies._transport.placement import CPUS_VARIABLE, Cpus
from interop_bench.stream.flags import request_of as stream_request_of

TWO_CPUS = len(os.sched_getaffinity(0)) >= 2
needs_two_cpus = pytest.mark.skipif(not TWO_CPUS, reason="needs two CPUs this process may use")


def fake_sysfs(root: Path, cpus: list[tuple[int, int, int, str | None]], online: str) -> Path:
    """A /sys/devices/system/cpu tree: (cpu, core_id, package_id, L3's shared_cpu_list)."""
    (root / "online").parent.mkdir(parents=True, exist_ok=True)
    (root / "online").write_text(online + "\n")
    (root / "cpufreq").mkdir()  # not a cpuN directory: ignored
    for cpu, core, package, l3 in cpus:
        topology = root / f"cpu{cpu}" / "topology"
        topology.mkdir(parents=True)
        (topology / "core_id").write_text(f"{core}\n")
        (topology / "physical_package_id").write_text(f"{package}\n")
        if l3 is not None:
            cache = root / f"cpu{cpu}" / "cache" / "index3"
            cache.mkdir(parents=True)
            (cache / "shared_cpu_list").write_text(l3 + "\n")
    return root


def allowed_list(pid: int) -> str:
    """The CPUs the kernel lets `pid` run on, as /proc/<pid>/status says."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Cpus_allowed_list:"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no Cpus_allowed_list for {pid}")


# -- the topology, from a fake tree ---------------------------------------------------


def test_the_topology_is_read_from_sysfs_online_cpus_only(tmp_path: Path) -> None:
    root = fake_sysfs(
        tmp_path / "cpu",
        [(0, 0, 0, "0-1"), (1, 1, 0, "0-1"), (2, 0, 1, None), (3, 1, 1, "2-3")],
        online="0-2",
    )
    assert placement.read_topology(root) == (
        Cpu(0, 0, 0, (0, 1)),
        Cpu(1, 1, 0, (0, 1)),
        Cpu(2, 0, 1, ()),  # no index3: the L3 is not known
    )


def test_a_tree_without_cpus_gives_no_topology_and_only_os(tmp_path: Path) -> None:
    assert placement.read_topology(tmp_path) == ()
    assert list(placement.available((), {0, 1})) == ["os"]


def test_two_cores_sharing_an_l3_offer_same_core_and_other_core() -> None:
    """This project's 2-core KVM guest."""
    topology = [Cpu(0, 0, 0, (0, 1)), Cpu(1, 1, 0, (0, 1))]
    assert placement.available(topology, {0, 1}) == {
        "os": None,
        "same-core": Cpus((0,), (0,)),
        "other-core": Cpus((0,), (1,)),
    }


def test_other_core_skips_the_callers_smt_sibling() -> None:
    # CPUs 0 and 2 are the two threads of core 0.
    topology = [Cpu(0, 0, 0, (0, 1, 2, 3)), Cpu(1, 1, 0, (0, 1, 2, 3)), Cpu(2, 0, 0, (0, 1, 2, 3))]
    assert placement.available(topology, {0, 1, 2})["other-core"] == Cpus((0,), (1,))
    assert "other-core" not in placement.available(topology, {0, 2})


def test_other_core_prefers_the_shared_l3_other_l3_and_other_socket_where_they_exist() -> None:
    # Package 0 has two L3s (CPUs 0-1 and 2-3); package 1 is CPU 4.
    topology = [
        Cpu(0, 0, 0, (0, 1)),
        Cpu(1, 1, 0, (0, 1)),
        Cpu(2, 2, 0, (2, 3)),
        Cpu(3, 3, 0, (2, 3)),
        Cpu(4, 0, 1, (4,)),
    ]
    offered = placement.available(topology, {0, 1, 2, 3, 4})
    assert list(offered) == ["os", "same-core", "other-core", "other-l3", "other-socket"]
    assert offered["other-core"] == Cpus((0,), (1,))
    assert offered["other-l3"] == Cpus((0,), (2,))
    assert offered["other-socket"] == Cpus((0,), (4,))
    # CPUs this process may not use are not offered: the caller takes the lowest allowed.
    assert placement.available(topology, {2, 4})["other-socket"] == Cpus((2,), (4,))


# -- the errors -----------------------------------------------------------------------


def test_an_unknown_placement_is_named_with_the_choices() -> None:
    with pytest.raises(PlacementError) as error:
        placement.resolve("far-away", [Cpu(0, 0, 0, ())], {0})
    assert "unknown placement 'far-away'" in str(error.value)
    assert "os, same-core, other-core" in str(error.value)


def test_a_placement_the_machine_cannot_provide_says_why_and_what_it_offers() -> None:
    with pytest.raises(PlacementError) as error:
        placement.resolve("other-core", [Cpu(0, 0, 0, ()), Cpu(1, 1, 0, ())], {0})
    message = str(error.value)
    assert "cannot provide placement other-core" in message
    assert "may run on CPUs 0, on 1 core of 1 package" in message
    assert message.endswith("it offers os, same-core")
    assert isinstance(error.value, PlanError)  # the commands report it as a bad selection


def test_the_request_of_a_run_refuses_it_too() -> None:
    with pytest.raises(PlanError, match="unknown placement"):
        new_request(strategies.names(), strategies="pipe", placement="nowhere")


def test_run_on_one_cpu_refuses_other_core_with_exit_status_2() -> None:
    code = (
        "import os, sys\n"
        "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
        "from interop_bench import cli\n"
        "sys.exit(cli.main(['run', '--strategies', 'pipe', '--sizes', '1', '--ops', 'sum', "
        "'--placement', 'other-core', '--out', '/nonexistent/never.json']))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "interop-bench run: this machine cannot provide placement other-core" in done.stderr


def test_run_refuses_an_unknown_placement_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--placement", "same-socket"])
    assert exit_.value.code == 2
    assert "--placement: invalid choice: 'same-socket'" in capsys.readouterr().err


def test_cpu_lists_read_and_write_as_the_kernel_writes_them() -> None:
    assert transport.parse_cpu_list("0-3,8,10-11\n") == (0, 1, 2, 3, 8, 10, 11)
    assert transport.format_cpu_list([11, 0, 1, 2, 8, 10]) == "0-2,8,10-11"
    assert transport.decode("caller=0;worker=1-2") == Cpus((0,), (1, 2))
    assert transport.decode("") is None
    with pytest.raises(ValueError, match="expected caller=CPUS;worker=CPUS"):
        transport.decode("caller=0")
    with pytest.raises(ValueError, match="not a CPU list"):
        transport.parse_cpu_list("0-x")


# -- pinning real processes -------------------------------------------------------------


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cpus]:
    """The run's CPUs as the runner hands them down: caller on the lowest CPU, workers
    on the highest one this process may use."""
    cpus = sorted(os.sched_getaffinity(0))
    chosen = Cpus((cpus[0],), (cpus[-1],))
    monkeypatch.setenv(CPUS_VARIABLE, chosen.encoded())
    yield chosen


@needs_two_cpus
@pytest.mark.parametrize("name", ["pipe", "shm-futex", "mp-shm", "uds", "zmq", "pickle5"])
def test_a_workers_process_runs_on_the_worker_cpus(name: str, pinned: Cpus) -> None:
    before = os.sched_getaffinity(0)
    with strategies.get(name) as strategy:
        [pid] = strategy.worker_pids()
        assert allowed_list(pid) == str(pinned.worker[0])
    assert os.sched_getaffinity(0) == before  # the starting thread's own is restored


@needs_two_cpus
@pytest.mark.network
def test_a_local_network_peer_runs_on_the_worker_cpus(pinned: Cpus) -> None:
    with strategies.get("tcp") as strategy:
        [pid] = strategy.worker_pids()
        assert allowed_list(pid) == str(pinned.worker[0])


def test_unpinned_workers_keep_the_callers_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)
    with strategies.get("pipe") as strategy:
        [pid] = strategy.worker_pids()
        assert allowed_list(pid) == allowed_list(os.getpid())


@needs_two_cpus
@pytest.mark.slow
def test_a_run_pins_its_pass_process_and_records_the_placement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CPUS_VARIABLE, raising=False)  # the run sets it for its passes
    out = tmp_path / "run.json"
    flags = ["--strategies", "pipe", "--ops", "sum", "--sizes", "1", "--profile", "quick"]
    flags += ["--processes", "1", "--no-instructions", "--placement", "other-core", "--quiet"]
    assert cli.main(["run", *flags, "--out", str(out)]) == 0
    document = results_file.load(out)
    results_file.check(document)
    wanted = placement.resolve("other-core")
    assert document["request"]["placement"] == wanted.as_json()
    assert "other-core" in document["environment"]["topology"]["placements"]
    assert len(document["environment"]["topology"]["cpus"]) == len(placement.read_topology())
    assert wanted.cpus is not None
    # Each pass records the CPUs it could run on: the caller's.
    [measured] = document["passes"]
    assert measured["noise_start"]["affinity"] == list(wanted.cpus.caller)
    assert os.environ.get(CPUS_VARIABLE) == wanted.cpus.encoded()


# -- what the readers show ------------------------------------------------------------


def placed(tmp_path: Path, name: str, chosen: Cpus | None) -> Path:
    document = make_results(strategies=["pipe"], ops=["sum"], sizes=[1])
    document["request"]["placement"] = placement.Placement(name, chosen).as_json()
    return write_results(tmp_path / f"{name}.json", document)


def test_summary_and_the_report_say_where_the_processes_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = placed(tmp_path, "other-core", Cpus((0,), (1,)))
    results_file.check(results_file.load(path))
    assert cli.main(["summary", str(path)]) == 0
    assert "placement: other-core (caller on CPU 0, workers on CPU 1)" in capsys.readouterr().out
    shown = dict(environment_rows([load(path)]))
    assert shown["CPU placement of caller and workers"] == [
        "other-core (caller on CPU 0, workers on CPU 1)"
    ]


def test_a_file_from_before_placements_reads_as_unpinned(tmp_path: Path) -> None:
    document = make_results(strategies=["pipe"], ops=["sum"], sizes=[1])
    document["request"].pop("placement", None)
    results = load(write_results(tmp_path / "old.json", document))
    assert results.placement_text == "os (unpinned: the scheduler placed them)"
    assert placement.stored(document["request"].get("placement")) == placement.UNPINNED


def test_compare_warns_when_the_files_were_placed_differently(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    same = placed(tmp_path, "same-core", Cpus((0,), (0,)))
    other = placed(tmp_path, "other-core", Cpus((0,), (1,)))
    cli.main(["compare", str(same), str(other)])
    out = capsys.readouterr().out
    assert "WARNING: the files were measured in different placements (same-core" in out
    cli.main(["compare", str(same), str(same)])
    assert "different placements" not in capsys.readouterr().out


def test_stream_takes_the_placement_and_records_it() -> None:
    args = cli.build_parser().parse_args(
        ["stream", "--strategies", "pipe", "--placement", "same-core"]
    )
    request = stream_request_of(args)
    assert request.placement == placement.resolve("same-core").as_json()
    unpinned = stream_request_of(cli.build_parser().parse_args(["stream", "--strategies", "pipe"]))
    assert unpinned.placement == placement.UNPINNED.as_json()


def test_cpus_this_process_may_not_use_give_an_error_naming_them() -> None:
    starting = transport.running_on([4096])
    with pytest.raises(OSError, match=r"run on CPUs 4096 \(INTEROP_BENCH_CPUS\): Invalid argument"):
        starting.__enter__()
