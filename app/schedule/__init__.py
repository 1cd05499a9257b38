"""Cron schedules of scheduled reports, without Qt.

The app's cron editor, `python -m app cron` and the sandbox's task runner
all use these modules, so what the editor lists is what the sandbox runs:

| module | holds |
| --- | --- |
| expression.py | reading and checking a five-field expression or a macro |
| description.py | the expression in plain words (English, Spanish) |
| runs.py | fire times in a time zone, once per wall-clock time across DST |
| back.py | a task's `back` and the report period it gives a run |
| preview.py | all of the above for one expression, as the editor shows it |
| cli.py | `python -m app cron` |
"""
