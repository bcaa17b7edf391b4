"""Reports: statutory timeliness figures for the page, the export and the command line."""
