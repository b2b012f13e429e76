"""Exports of applications (CSV, XLSX) and open data of awards (360Giving-shaped JSON)."""
