"""The figures of the Kettering December 2009 replica: every total, as a plan of periods.

Each series is a list of periods with the whole number of events in each
(:class:`Span`); a baseline period's total is the model bulletin's own baseline
(../shared/seeds/kettering-performance-improvement-bulletin-2009-12.txt, quoted
beside each), the others are SYNTHETIC totals chosen so that the December 2009
bulletin tells the story the model bulletin tells (vehicle crime well below its
trajectory, domestic burglary and violence above theirs, refuse fires far down).
Each source ends where the model bulletin's data ended (Appendix C and the
target pages): police crime in December 2009, the fire service a month behind,
road casualties two, probation (PPO convictions) three and the youth justice
cohort's quarters four.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdrp_lib.periods import Month

PARTNERSHIP = "kettering-2009"
DISTRICT = "Kettering"
FORCE_ID = "northamptonshire"
FORCE_NAME = "Northamptonshire Police"
#: The bulletin's month, and the first month of the police and DA files: a year before the
#: first baseline year, so the rolling 12-month chart starts in March 2007 as the bulletin's
#: does, and the repeat rates' 12-month lookback is whole from April 2007.
BULLETIN_MONTH = "2009-12"
FIRST_MONTH = "2006-04"
#: The DA extract starts a year earlier still, so the repeat rates (whose first 12 months
#: are their lookback) have the two years of 12-month positions a trend needs.
DA_FIRST_MONTH = "2005-04"


@dataclass(frozen=True)
class Span:
    """``total`` events over the months ``first`` to ``last`` (both included)."""

    first: str
    last: str
    total: int

    @property
    def months(self) -> list[Month]:
        a, b = Month.parse(self.first), Month.parse(self.last)
        return [a + i for i in range(b.minus(a) + 1)]


@dataclass(frozen=True)
class Monthly:
    """A monthly count: its spans in order, its season (amplitude, peak month)."""

    spans: tuple[Span, ...]
    amplitude: float = 0.08
    peak: int = 7


def _police(fy06: int, fy07: int, fy08: int, apr_dec09: int, amplitude: float = 0.08,
            peak: int = 7) -> Monthly:
    """Police street files: the financial years 2006/07 to 2008/09, then April-December 2009."""
    return Monthly((Span("2006-04", "2007-03", fy06), Span("2007-04", "2008-03", fy07),
                    Span("2008-04", "2009-03", fy08), Span("2009-04", "2009-12", apr_dec09)),
                   amplitude, peak)


#: data.police.uk crime types in the street files, by financial year. The 2007/08 totals
#: are the bulletin's baselines where it prints one, and add up to its All Crime (7506):
#: "The 2007/08 baseline for Vehicle Crime was 913 recorded crimes."
#: "The 2007/08 baseline for Domestic Burglary was 303 recorded crimes." (every Burglary
#:   row of the replica is a domestic burglary)
#: "The 2007/08 baseline for Serious Acquisitive Crime was 1290 recorded crimes." (913 + 303
#:   + 74 robberies)
#: "The 2007/08 baseline for Violence Against the Person was 1282 recorded crimes."
#: "The 2007/08 baseline for Criminal Damage was 1726 recorded crimes."
#: "The 2007/8 baseline for Police recorded ASB incidents was 7806 recorded incidents."
POLICE: dict[str, Monthly] = {
    "Vehicle crime": _police(960, 913, 780, 430, 0.08, 11),
    "Burglary": _police(320, 303, 300, 240, 0.12, 12),
    "Robbery": _police(80, 74, 70, 50, 0.10, 12),
    "Violence and sexual offences": _police(1240, 1282, 1300, 1010, 0.10, 7),
    "Criminal damage and arson": _police(1800, 1726, 1690, 1250, 0.08, 10),
    "Anti-social behaviour": _police(8600, 7806, 7100, 5000, 0.22, 7),
    "Shoplifting": _police(920, 900, 880, 650, 0.08, 12),
    "Other theft": _police(1560, 1500, 1450, 1060, 0.08, 7),
    "Drugs": _police(280, 300, 310, 240, 0.05, 3),
    "Public order": _police(340, 350, 345, 260, 0.12, 7),
    "Other crime": _police(160, 158, 150, 110, 0.03, 1),
}
#: Kettering Town Centre's share of violence: "The 2008/09 baseline for Violence Against
#: the Person in Kettering Town Centre was 269 recorded crimes."
TOWN_CENTRE_VIOLENCE = _police(240, 262, 269, 190, 0.15, 7)
#: The first LSOAs of the district (in code order) stand in for the town centre: the model
#: bulletin does not say which LSOAs it means, so these are SYNTHETIC too.
TOWN_CENTRE_LSOAS = 4

#: Partner agencies' monthly counts (series*.csv), by measure id.
SERIES_MONTHLY: dict[str, Monthly] = {
    # "The 2007/08 baseline for crimes committed against school aged children was 176
    #  recorded crimes." (a local police extract: data.police.uk has no victim age)
    "crimes-against-children": Monthly((
        Span("2006-04", "2007-03", 181), Span("2007-04", "2008-03", 176),
        Span("2008-04", "2009-03", 186), Span("2009-04", "2009-11", 118)), 0.15, 10),
    # "The 2008/09 baseline for Assault with Injury was 558 recorded crimes."
    "assault-with-injury": Monthly((
        Span("2006-04", "2007-03", 530), Span("2007-04", "2008-03", 541),
        Span("2008-04", "2009-03", 558), Span("2009-04", "2009-11", 392)), 0.10, 7),
    # "The 2008/09 baseline for Repeat Domestic Burglary offences was 10 recorded crimes.
    #  A maintenance target has been adopted." and "+200.0%" over the last 12 months
    "repeat-domestic-burglary": Monthly((
        Span("2006-04", "2007-03", 9), Span("2007-04", "2008-03", 8),
        Span("2008-04", "2009-03", 10), Span("2009-04", "2009-11", 14)), 0.0, 1),
    # County targets, the county's own figures as the bulletin reports them (ComPaSS):
    # "The 2007/08 baseline for Serious Acquisitive Crime was 12604 recorded crimes."
    "county-serious-acquisitive-crime": Monthly((
        Span("2006-04", "2007-03", 13320), Span("2007-04", "2008-03", 12604),
        Span("2008-04", "2009-03", 11480), Span("2009-04", "2009-11", 7390)), 0.08, 12),
    # "The 2008/09 baseline for Assault with Injury was 4220 recorded crimes."
    "county-assault-with-injury": Monthly((
        Span("2006-04", "2007-03", 4260), Span("2007-04", "2008-03", 4310),
        Span("2008-04", "2009-03", 4220),
        Span("2009-04", "2009-11", 2790)), 0.10, 7),
    # "The 2008/09 baseline for Secondary fires in refuse containers was 137 recorded
    #  incidents." (fire and rescue service, a month behind)
    "refuse-container-fires": Monthly((
        Span("2006-04", "2007-03", 171), Span("2007-04", "2008-03", 162),
        Span("2008-04", "2009-03", 137),
        Span("2009-04", "2009-11", 52)), 0.30, 5),
    # NI49 (1): target 249.4 primary fires per 100,000 in 2009/10 (Kettering's own fires)
    "primary-fires": Monthly((
        Span("2006-04", "2007-03", 251), Span("2007-04", "2008-03", 246),
        Span("2008-04", "2009-03", 233),
        Span("2009-04", "2009-11", 150)), 0.10, 7),
    # NI49 (2): "The baseline ... is 0.59 per 100,000": a death every two years or so
    "primary-fire-deaths": Monthly((
        Span("2006-04", "2007-03", 0), Span("2007-04", "2008-03", 1),
        Span("2008-04", "2009-03", 1),
        Span("2009-04", "2009-11", 0)), 0.0, 1),
    # NI49 (3): "The baseline ... is 6.9 per 100,000"
    "primary-fire-injuries": Monthly((
        Span("2006-04", "2007-03", 7), Span("2007-04", "2008-03", 8),
        Span("2008-04", "2009-03", 6),
        Span("2009-04", "2009-11", 3)), 0.0, 1),
    # NI47: "a twelve month mean taken from the number of incidents recorded over 2004 to
    #  2006 and is 486 recorded incidents" (1,458 over three years); three months behind
    "road-casualties-ksi": Monthly((
        Span("2004-01", "2004-12", 497), Span("2005-01", "2005-12", 488),
        Span("2006-01", "2006-12", 473), Span("2007-01", "2007-12", 452),
        Span("2008-01", "2008-12", 431), Span("2009-01", "2009-09", 318)), 0.10, 11),
    # NI30: "a reduction of 16.0% in convictions between October 2008 to September 2009
    #  compared to the previous twelve months" and "a 15.2% reduction occurred ... The target
    #  was not achieved by 14 convictions": 1,750 then 1,484 (three months behind)
    "ppo-convictions": Monthly((
        Span("2006-04", "2007-09", 2690), Span("2007-10", "2008-09", 1750),
        Span("2008-10", "2009-08", 1334), Span("2009-09", "2009-09", 150)), 0.05, 1),
}

#: "The countywide 2007/08 baseline for Repeat Domestic Crimes was 23.0%": 1,150 repeats
#: of 5,000 domestic crimes in the county (numerator, denominator), a month behind.
COUNTY_DA_REPEATS = Monthly((
    Span("2006-04", "2007-03", 1120), Span("2007-04", "2008-03", 1150),
    Span("2008-04", "2009-03", 1190),
    Span("2009-04", "2009-11", 830)), 0.05, 7)
COUNTY_DA_CRIMES = Monthly((
    Span("2006-04", "2007-03", 4950), Span("2007-04", "2008-03", 5000),
    Span("2008-04", "2009-03", 5080),
    Span("2009-04", "2009-11", 3440)), 0.05, 7)

#: Youth justice quarters (financial), four months behind: first time entrants (NI 111).
FIRST_TIME_ENTRANTS: dict[str, int] = {
    "2007/08 Q1": 38, "2007/08 Q2": 41, "2007/08 Q3": 35, "2007/08 Q4": 37,
    "2008/09 Q1": 33, "2008/09 Q2": 36, "2008/09 Q3": 30, "2008/09 Q4": 31,
    "2009/10 Q1": 29,
}
#: NI19: "the cohort of 371 young offenders should not commit more than 603 offences over
#: 2009/10"; 2008/09's cohort was another (SYNTHETIC) 398. Offences by quarter, cohort size.
YOUTH_COHORT: dict[str, tuple[int, int]] = {
    "2008/09 Q1": (152, 398), "2008/09 Q2": (160, 398), "2008/09 Q3": (148, 398),
    "2008/09 Q4": (151, 398), "2009/10 Q1": (141, 371),
}

#: Domestic abuse crimes and, of them, repeats (methods 8a), by span. "The 2007/08 baseline
#: for Repeat Domestic Crimes was 20.7%": 145 of 700. The first year only fills the lookback.
DA_CRIMES: tuple[tuple[Span, int], ...] = (
    (Span("2005-04", "2006-03", 640), 90), (Span("2006-04", "2007-03", 660), 138),
    (Span("2007-04", "2008-03", 700), 145),
    (Span("2008-04", "2009-03", 720), 152), (Span("2009-04", "2009-12", 560), 121),
)
#: Non-crime domestic incidents a year, and MARAC referrals with their repeats (8b): a
#: referral rate well below NI32's 32.0% in 2009/10, "extremely low due to agency recording
#: issues".
DA_INCIDENTS_PER_YEAR = 960
MARAC: tuple[tuple[Span, int], ...] = (
    (Span("2005-04", "2006-03", 90), 15), (Span("2006-04", "2007-03", 96), 24),
    (Span("2007-04", "2008-03", 104), 27),
    (Span("2008-04", "2009-03", 110), 31), (Span("2009-04", "2009-12", 84), 5),
)

#: Survey waves (calendar quarters, three months behind): respondents per wave, and the
#: "yes" answers per question. 2007/08's four waves give the bulletin's baselines exactly:
#: "Police and local council dealing with crime/ASB ... was 40.0%" (400 of 1,000),
#: NI17 "Baseline - 2007/08 LGUSS 23.0%", teenagers hanging around "59.8%".
SURVEY_RESPONDENTS = 250
SURVEY_WAVES = ("2007Q2", "2007Q3", "2007Q4", "2008Q1", "2008Q2", "2008Q3", "2008Q4",
                "2009Q1", "2009Q2", "2009Q3")
SURVEY_YES: dict[str, tuple[int, ...]] = {
    "deal_with_issues": (95, 100, 102, 103, 104, 107, 109, 111, 114, 116),
    "asb_problem": (57, 58, 57, 58, 50, 46, 44, 42, 41, 40),
    "teenagers_hanging_around": (150, 149, 150, 149, 130, 118, 110, 106, 103, 101),
}

#: Kettering's mid-year population (SYNTHETIC, near the ONS estimates of the time).
POPULATION: dict[int, int] = {2004: 87_400, 2005: 88_200, 2006: 89_000, 2007: 89_900,
                              2008: 90_700, 2009: 91_400}
