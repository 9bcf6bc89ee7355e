from tests.ray_output import driver_output


def test_forwarded_worker_lines_go_and_the_drivers_stay():
    err = (
        "\x1b[36m(_tuning_trainable pid=28351)\x1b[0m Traceback (most recent call last):\n"
        "\x1b[36m(_tuning_trainable pid=28351)\x1b[0m SystemExit: 1\n"
        "(pid=12, ip=10.0.0.5) Traceback (most recent call last):\n"
        "(run_trial pid=7) warning\n"
        "Traceback (most recent call last):\n"
        "interrupted: the same command resumes\n"
    )
    assert driver_output(err) == "Traceback (most recent call last):\ninterrupted: the same command resumes\n"
