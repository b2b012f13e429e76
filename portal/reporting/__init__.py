"""Reporting: the officers' dashboard, exports (CSV, XLSX, open data) and the file-store sweep."""
