"""Models as first-class objects: what each configured model is (backend, hub id or folder, content checksum),
one loader cache every stage and query encoder goes through, and ``vidsearch models list|verify``."""
