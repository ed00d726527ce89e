"""The classroom (issue 19): run the same download under phone profiles (vendor, Android version, exemption,
notification permission, a script of user actions) and read the outcome in pandas.

- :mod:`fmtc_nb.classroom.profiles`: a profile and its user-action script (parsed with one-sentence errors);
- :mod:`fmtc_nb.classroom.rulebook`: one rule per documented behaviour, built on
  :mod:`fmtc_nb.android.lifecycle` and the dontkillmyapp.com data, timings as named parameters;
- :mod:`fmtc_nb.classroom.model`: the discrete-event model (no network);
- :mod:`fmtc_nb.classroom.real`: the same profile on the virtual device, on a simulated clock;
- :mod:`fmtc_nb.classroom.outcomes`: timelines, summaries, sweeps and plots (pandas, matplotlib).
"""
