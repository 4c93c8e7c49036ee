"""Import every model so that metadata (and Alembic) knows every table."""
from pingyi.appeals.models import Appeal, AppealFile  # noqa: F401
from pingyi.audit.models import AuditEntry  # noqa: F401
from pingyi.auth.models import LoginFailure, User, UserSession  # noqa: F401
from pingyi.cache.models import DataVersion, ResultsCache  # noqa: F401
from pingyi.campaigns.models import (  # noqa: F401
                                          Campaign,
                                          EvaluationGroup,
                                          GroupMember,
                                          Participation,
                                          Phase,
                                          SupervisorAssignment,
)
from pingyi.checklists.models import Assessment, CheckItem, Dimension  # noqa: F401
from pingyi.documents.models import DocumentBatch, IssuedDocument  # noqa: F401
from pingyi.feedback.models import FeedbackItem, FeedbackNotice  # noqa: F401
from pingyi.files.models import StoredFile  # noqa: F401
from pingyi.findings.models import Finding, Inspection, Opinion  # noqa: F401
from pingyi.jobs.models import Job  # noqa: F401
from pingyi.outbound.models import OutboundMessage  # noqa: F401
from pingyi.rectifications.models import (  # noqa: F401
                                          CommitmentLetter,
                                          Extension,
                                          RecheckRecord,
                                          Rectification,
                                          RectificationUpdate,
)
from pingyi.reminders.models import Reminder, ReminderNotice  # noqa: F401
from pingyi.results.models import ResultVersion, ScoringConfig, UnitResult  # noqa: F401
from pingyi.surveys.models import (  # noqa: F401
                                          Ballot,
                                          BallotAnswer,
                                          BallotCount,
                                          CodeBatch,
                                          Questionnaire,
                                          QuestionnaireIssue,
                                          RespondentType,
                                          SurveyCode,
                                          SurveyOption,
                                          SurveyQuestion,
                                          TallyCount,
                                          TallySheet,
)
from pingyi.surveys.reach_models import (  # noqa: F401
                                          Respondent,
                                          RespondentPool,
                                          SampleDraw,
                                          SampledPerson,
)
from pingyi.surveys.integrity_models import AnomalyFlag, ArrivalMark, FlaggedBallot, FollowUp, RoundSalt  # noqa: F401
from pingyi.tasks.models import Submission, SubmissionReturn, Task  # noqa: F401
from pingyi.units.models import Unit  # noqa: F401
