"""What fmtc-nb knows about Android phones, shared by the notebook side and the on-device bridge (which
imports it from here; fmtc_nb never imports the bridge):

- :mod:`fmtc_nb.android.vendors`: what phone vendors do to background work (dontkillmyapp.com, CC-BY);
- :mod:`fmtc_nb.android.notification`: the progress notification the phone shows while it downloads;
- :mod:`fmtc_nb.android.screen`: the virtual phone's screen file, as a watcher reads it;
- :mod:`fmtc_nb.android.joboptions`: the download options a phone job starts from (it waits for the network).
"""
