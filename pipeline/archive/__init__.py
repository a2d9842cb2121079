"""Many documents in one run: :mod:`.jobs` finds them and cuts them into windows,
:mod:`.workers` runs the CPU stages in other processes (``--jobs``), :mod:`.ray`
runs the translation stage on a Ray cluster (``--backend ray``)."""

from pipeline.core.exports import lazy_exports

__all__, __getattr__ = lazy_exports(__name__, {
    "jobs": ["ClashError", "Failure", "Job", "check_clashes", "discover", "output_folder", "read_documents",
             "windows"],
    "workers": ["Workers"],
    "ray": ["RayBackend", "RayBackendError"],
})
