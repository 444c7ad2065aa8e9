"""zoo.tune across processes: a sweep killed mid-way resumes; a chief and two workers share one search.

Each search runs in child processes (KerasTuner's distributed mode is configured
by environment variables read at start-up), bounded by timeouts.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import textwrap
import time

SEARCH = """
import json, sys, numpy as np, zoo
directory, max_trials = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(0)
x = rng.integers(0, 100, (32, 16, 16, 1)).astype("float32"); y = np.arange(32) % 2
result = zoo.tune("resnet", (x, y), (x[:16], y[:16]), max_trials=max_trials, epochs=1, batch_size=16,
                  directory=directory, project_name="sweep", verbose=0,
                  fixed={"base_width": 8, "block": "basic", "stage3_blocks": 1, "stage4_blocks": 1})
print(json.dumps([[t["trial_id"], t["status"]] for t in result.trials]))
"""
ENV = dict(os.environ, PYTHONPATH=os.getcwd(), TF_CPP_MIN_LOG_LEVEL="2")


def start(directory, max_trials, env=ENV):
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(SEARCH), str(directory), str(max_trials)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def statuses(directory) -> dict[str, str]:
    found = {}
    for path in pathlib.Path(directory, "sweep").glob("trial_*/trial.json"):
        try:
            found[path.parent.name] = json.loads(path.read_text())["status"]
        except (ValueError, KeyError):
            pass  # being written
    return found


def test_a_sweep_killed_mid_way_resumes_without_redoing_finished_trials(tmp_path):
    child = start(tmp_path, 4)
    deadline = time.time() + 300
    while time.time() < deadline and list(statuses(tmp_path).values()).count("COMPLETED") < 1:
        time.sleep(0.5)
    child.send_signal(signal.SIGKILL)  # no chance to clean up, as when a machine is lost
    child.wait(timeout=30)
    finished = {name: (pathlib.Path(tmp_path, "sweep", name, "trial.json").stat().st_mtime_ns)
                for name, status in statuses(tmp_path).items() if status == "COMPLETED"}
    assert finished, "no trial finished before the kill"

    rerun = start(tmp_path, 4)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-3000:]
    trials = json.loads(out.strip().splitlines()[-1])
    assert sum(status == "COMPLETED" for _, status in trials) >= 4 - 1  # the interrupted one may be abandoned
    for name, mtime in finished.items():  # finished before the kill: not run again
        assert pathlib.Path(tmp_path, "sweep", name, "trial.json").stat().st_mtime_ns == mtime, name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_chief_and_two_workers_share_one_search(tmp_path):
    port = str(free_port())
    oracle = dict(ENV, KERASTUNER_ORACLE_IP="127.0.0.1", KERASTUNER_ORACLE_PORT=port)
    chief = start(tmp_path, 4, dict(oracle, KERASTUNER_TUNER_ID="chief"))
    time.sleep(3)  # the chief's oracle server first
    workers = [start(tmp_path, 4, dict(oracle, KERASTUNER_TUNER_ID=f"tuner{i}")) for i in range(2)]
    try:
        outputs = [process.communicate(timeout=600) for process in [chief, *workers]]
    finally:
        for process in [chief, *workers]:
            process.kill()
    for process, (out, err) in zip([chief, *workers], outputs):
        assert process.returncode == 0, err[-3000:]
    trials = json.loads(outputs[0][0].strip().splitlines()[-1])
    assert len(trials) == 4 and all(status == "COMPLETED" for _, status in trials)
    # The chief only serves the oracle: the four trials were trained by the workers, into the shared directory.
    assert statuses(tmp_path) == {f"trial_{i}": "COMPLETED" for i in range(4)}


MIRRORED = """
import json, numpy as np, zoo, zoo.distribute
zoo.distribute.cpu_devices(2)
import sys
rng = np.random.default_rng(0)
x = rng.integers(0, 100, (32, 16, 16, 1)).astype("float32"); y = np.arange(32) % 2
result = zoo.tune("resnet", (x, y), (x[:16], y[:16]), max_trials=1, epochs=1, batch_size=16, strategy="mirrored:2",
                  directory=sys.argv[1], verbose=0, fixed={"base_width": 8, "block": "basic", "stage4_blocks": 1})
print(json.dumps({"replicas": result.tuner.distribution_strategy.num_replicas_in_sync,
                  "status": result.trials[0]["status"], "score": result.trials[0]["score"]}))
"""


def test_every_trial_can_train_under_a_strategy(tmp_path):
    completed = subprocess.run([sys.executable, "-c", textwrap.dedent(MIRRORED), str(tmp_path)], capture_output=True,
                               text=True, env=ENV, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    assert result["replicas"] == 2 and result["status"] == "COMPLETED" and 0 <= result["score"] <= 1
