"""Ops topic, alarms on every stage of the pipeline, and one dashboard."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from lapor_infra import constants as c
from lapor_infra.config import LaporConfig
from lapor_infra.data import Data
from lapor_infra.functions import LaporFunction

FIVE_MINUTES = Duration.minutes(5)


class Observability(Construct):
    """Alarms notify the ops topic (KMS-encrypted, TLS-only; optional email subscription)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: LaporConfig,
        data: Data,
        api: apigw.RestApi,
        functions: Sequence[LaporFunction],
        stream_consumer: LaporFunction,
        dead_letter_queues: dict[str, sqs.IQueue],
        notify_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(
            self,
            "OpsTopic",
            display_name=f"Lapor {config.stage} alarms",
            master_key=data.key,
            enforce_ssl=True,
        )
        if config.alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self._action = actions.SnsAction(self.topic)
        self.alarms: list[cloudwatch.Alarm] = []

        for handler in functions:
            name = handler.spec.name
            self._alarm(
                f"{name}Errors", handler.function.metric_errors(period=FIVE_MINUTES), 1, f"{name} failed"
            )
            self._alarm(
                f"{name}Throttles",
                handler.function.metric_throttles(period=FIVE_MINUTES),
                1,
                f"{name} throttled",
            )
        iterator_age = stream_consumer.function.metric(
            "IteratorAge", statistic=cloudwatch.Stats.MAXIMUM, period=Duration.minutes(1)
        )
        self._alarm(
            "RouteIteratorAge",
            iterator_age,
            c.ITERATOR_AGE_ALARM_MS,
            "new reports wait more than five minutes in the stream before routing",
            evaluation_periods=3,
        )
        for label, queue in dead_letter_queues.items():
            self._alarm(
                f"{label}Depth",
                queue.metric_approximate_number_of_messages_visible(
                    period=FIVE_MINUTES, statistic=cloudwatch.Stats.MAXIMUM
                ),
                1,
                f"messages in {label}: something failed for good and needs an operator",
            )
        oldest = notify_queue.metric_approximate_age_of_oldest_message(
            period=FIVE_MINUTES, statistic=cloudwatch.Stats.MAXIMUM
        )
        self._alarm(
            "NotifyBacklog",
            oldest,
            c.NOTIFY_OLDEST_MESSAGE_ALARM_S,
            "notifications wait more than 15 minutes",
        )
        # The SLA checker re-enqueues messages that never went out (lapor.app.redrive): each one is a
        # loss somewhere between the router and the notifier, healed but worth an operator's look.
        self._alarm(
            "NotificationsRedriven",
            _lapor_metric("NotificationsRedriven"),
            1,
            "messages were lost on the way to the notifier and enqueued again by the SLA checker",
        )
        self._alarm(
            "NotificationsAbandoned",
            _lapor_metric("NotificationsAbandoned"),
            1,
            "messages were never delivered after every re-drive: see the report's timeline",
        )
        server_errors = api.deployment_stage.metric_server_error(period=FIVE_MINUTES, statistic="Sum")
        self._alarm("Api5xx", server_errors, 1, "the API answered 5xx (the contract says never)")
        sms_spend = cloudwatch.Metric(
            namespace="AWS/SNS",
            metric_name="SMSMonthToDateSpentUSD",
            statistic=cloudwatch.Stats.MAXIMUM,
            period=Duration.hours(1),
        )
        self._alarm(
            "SmsSpend",
            sms_spend,
            config.sms_monthly_spend_alarm_usd,
            f"SMS spend this month passed {config.sms_monthly_spend_alarm_usd:g} USD",
        )
        bounce_rate = cloudwatch.Metric(
            namespace="AWS/SES",
            metric_name="Reputation.BounceRate",
            statistic=cloudwatch.Stats.MAXIMUM,
            period=Duration.hours(1),
        )
        self._alarm(
            "SesBounceRate", bounce_rate, 0.05, "SES bounce rate above 5% (SES reviews accounts at 5%)"
        )

        # What the functions report about deliveries and the calendar (powertools metrics, by service).
        for construct_id, metric_name, threshold, period, description in (
            (
                "DeliveryConfigurationErrors",
                "DeliveryConfigurationErrors",
                1,
                FIVE_MINUTES,
                "the deployment cannot send (access denied, SES sandbox recipient, paused sending): "
                "messages are recorded undeliverable until it is fixed",
            ),
            (
                "SmsDeliveryFailures",
                "SmsDeliveryFailures",
                1,
                Duration.hours(1),
                "carriers failed SMS that SNS accepted (max price, blocked or unreachable numbers)",
            ),
            (
                "MailAwaitingSenderVerification",
                "NotificationsAwaitingSenderVerification",
                1,
                Duration.hours(1),
                "email waits for the sender domain's DKIM verification in SES (publish the SesDkimRecord "
                "outputs in DNS)",
            ),
            (
                "CalendarWithoutJointLeave",
                "CalendarYearsWithoutJointLeave",
                1,
                Duration.days(1),
                "the holiday calendar lacks this or next year's cuti bersama: add the decree's days to the "
                "directory's calendar.extra_holidays (docs/operations.md)",
            ),
        ):
            metric = cloudwatch.Metric(
                namespace=c.METRICS_NAMESPACE,
                metric_name=metric_name,
                dimensions_map={"service": c.SERVICE_NAME},
                statistic=cloudwatch.Stats.MAXIMUM
                if metric_name.startswith("Calendar")
                else cloudwatch.Stats.SUM,
                period=period,
            )
            self._alarm(construct_id, metric, threshold, description)

        self.dashboard = self._dashboard(
            config, api, functions, stream_consumer, dead_letter_queues, notify_queue
        )

    def _alarm(
        self,
        construct_id: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        evaluation_periods: int = 1,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            construct_id,
            metric=metric,
            threshold=threshold,
            evaluation_periods=evaluation_periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"Lapor: {description}",
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms.append(alarm)
        return alarm

    def _dashboard(
        self,
        config: LaporConfig,
        api: apigw.RestApi,
        functions: Sequence[LaporFunction],
        stream_consumer: LaporFunction,
        dead_letter_queues: dict[str, sqs.IQueue],
        notify_queue: sqs.IQueue,
    ) -> cloudwatch.Dashboard:
        stage = api.deployment_stage
        dashboard = cloudwatch.Dashboard(self, "Dashboard", dashboard_name=f"Lapor-{config.stage}")
        dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# Lapor {config.stage}\nAPI -> intake -> reports stream -> route -> notify queue "
                "-> notify (SES/SNS); the SLA schedule feeds the same queue.",
                width=24,
                height=2,
            )
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[stage.metric_count(), stage.metric_client_error(), stage.metric_server_error()],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (p50, p99)",
                left=[stage.metric_latency(statistic="p50"), stage.metric_latency(statistic="p99")],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Invocations",
                left=[handler.function.metric_invocations(label=handler.spec.name) for handler in functions],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Errors and throttles",
                left=[
                    handler.function.metric_errors(label=f"{handler.spec.name} errors")
                    for handler in functions
                ]
                + [
                    handler.function.metric_throttles(label=f"{handler.spec.name} throttles")
                    for handler in functions
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Duration p99 (ms)",
                left=[
                    handler.function.metric_duration(statistic="p99", label=handler.spec.name)
                    for handler in functions
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Router stream iterator age (ms)",
                left=[stream_consumer.function.metric("IteratorAge", statistic=cloudwatch.Stats.MAXIMUM)],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Notify queue",
                left=[
                    notify_queue.metric_approximate_number_of_messages_visible(label="visible"),
                    notify_queue.metric_approximate_age_of_oldest_message(label="oldest (s)"),
                ],
                width=8,
            ),
            cloudwatch.GraphWidget(
                title="Dead letters",
                left=[
                    queue.metric_approximate_number_of_messages_visible(label=label)
                    for label, queue in dead_letter_queues.items()
                ],
                width=8,
            ),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="SMS spend this month (USD)",
                left=[
                    cloudwatch.Metric(
                        namespace="AWS/SNS",
                        metric_name="SMSMonthToDateSpentUSD",
                        statistic=cloudwatch.Stats.MAXIMUM,
                    )
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Lapor business metrics (everything the functions emit)",
                left=[
                    cloudwatch.MathExpression(
                        expression=f"SEARCH('{{{c.METRICS_NAMESPACE},service}}', 'Sum', 300)",
                        using_metrics={},
                        label="",
                        period=FIVE_MINUTES,
                    )
                ],
                width=12,
            ),
        )
        return dashboard


def _lapor_metric(name: str) -> cloudwatch.Metric:
    """One of the functions' own metrics (powertools publishes them with the ``service`` dimension)."""
    return cloudwatch.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map={"service": c.SERVICE_NAME},
        statistic=cloudwatch.Stats.SUM,
        period=FIVE_MINUTES,
    )
