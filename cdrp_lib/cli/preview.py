"""``cdrp preview``: one page of a bulletin, made exactly as ``cdrp run`` publishes it.

The page's notebook is executed with Papermill and rendered by the batch's own
page function (:func:`cdrp_lib.batch.execute.run_page`: same parameters, kernel
set-up, template and navigation bar as a full bulletin's page) into a new
temporary folder, laid out as the published site (``site/<partnership>/<month>/``
with the CSVs in ``data/`` beside the page, so its links work), and the page's
path is printed.  Nothing under ``outputs/`` is touched and no lock is taken.
It exits 1 when the notebook or the render failed (the executed notebook,
kept in the same folder, shows where).
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from cdrp_lib.cli.run import THEME_NAMES, add_input_arguments, iso_date

HELP = "make one page of a bulletin as it would be published, in a temporary folder"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``cdrp preview``."""
    parser.add_argument("--partnership", required=True, metavar="ID",
                        help="the partnership id (as `cdrp export` lists them)")
    parser.add_argument("--month", required=True, metavar="YYYY-MM",
                        help="the bulletin month, or 'latest' for the store's latest police month")
    parser.add_argument("--theme", required=True, metavar="THEME",
                        help=f"the page: a theme id of the partnership's list (by default "
                             f"{', '.join(THEME_NAMES)})")
    add_input_arguments(parser)
    parser.add_argument("--renderer", choices=("nbconvert", "quarto"), default="nbconvert",
                        help="HTML renderer, as for `cdrp run` (default: %(default)s)")
    parser.add_argument("--produced-on", type=iso_date, metavar="YYYY-MM-DD",
                        help="the 'produced on' date printed on the page (default: today)")


def run(args: argparse.Namespace) -> int:
    """Make the page and print its path; 1 if the notebook or the render failed."""
    import shutil
    import tempfile

    from cdrp_lib.batch import BatchSettings, PageStatus, plan_jobs
    from cdrp_lib.batch.execute import run_page
    from cdrp_lib.batch.jobs import page_file

    out = Path(tempfile.mkdtemp(prefix="cdrp-preview-"))
    settings = BatchSettings(
        store=args.store.resolve(),
        params_dir=args.params.resolve(),
        notebooks_dir=args.notebooks.resolve(),
        outputs_dir=out,
        project_root=Path.cwd(),
        produced_on=args.produced_on or datetime.date.today().isoformat(),
        renderer=args.renderer,
    )
    # The page is planned as `cdrp run` plans it; its navigation bar lists every page of
    # the partnership's theme list, as the published one does.
    try:
        (job,) = plan_jobs(settings, month=args.month, partnerships=[args.partnership],
                           themes=[args.theme])
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    job.staging_dir.mkdir(parents=True)
    page = run_page(job, args.theme, job.page_ids)
    if page.status is PageStatus.FAILED:
        where = f"; the executed notebook: {page.notebook}" if page.notebook else ""
        print(f"cdrp preview: error: {page.error}{where}", file=sys.stderr)
        return 1
    # Laid out as published: site/<partnership>/<month>/ with data/ beside the page.
    job.site_dir.parent.mkdir(parents=True)
    job.staging_dir.rename(job.site_dir)
    print(job.site_dir / page_file(args.theme))
    return 0
