"""Odoo-side tests; run with `odoo-bin --test-enable --test-tags /salesagent_livechat`."""

import json
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.addons.salesagent_livechat import webhook
from odoo.exceptions import AccessError
from odoo.release import version_info
from odoo.tests import HttpCase, new_test_user, tagged

ODOO_MAJOR = version_info[0]
SECRET = "a-long-shared-secret-for-the-tests"
POST = "odoo.addons.salesagent_livechat.models.discuss_channel.requests.post"


class FakeResponse:
    status_code = 200
    text = "{}"


@tagged("post_install", "-at_install")
class TestSalesagentLivechat(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        params = cls.env["ir.config_parameter"].sudo()
        params.set_param("salesagent_livechat.agent_url", "http://agent.test/")
        params.set_param("salesagent_livechat.webhook_secret", SECRET)
        cls.bot = cls.env.ref("salesagent_livechat.partner_salesagent_bot")
        cls.operator = new_test_user(
            cls.env,
            login="salesagent_operator",
            groups="base.group_user,im_livechat.im_livechat_group_user",
        )
        cls.livechat = cls.env["im_livechat.channel"].create(
            {"name": "Tienda", "user_ids": [(6, 0, cls.operator.ids)], "salesagent_serve": True}
        )

    def _open_session(self):
        """A public visitor opens the chat through Odoo's own livechat route."""
        params = {"channel_id": self.livechat.id, "persisted": True}
        if ODOO_MAJOR < 19:
            params["anonymous_name"] = "Visitante"
        data = self.make_jsonrpc_request("/im_livechat/get_session", params)
        channel_id = data["channel_id"] if ODOO_MAJOR >= 19 else data["discuss.channel"][0]["id"]
        return self.env["discuss.channel"].browse(channel_id)

    def _post_as_visitor(self, channel, text):
        guest = channel.channel_member_ids.guest_id[:1]
        public = self.env.ref("base.public_user")
        return (
            channel.with_user(public)
            .with_context(guest=guest)
            .sudo()
            .message_post(body=text, message_type="comment", subtype_xmlid="mail.mt_comment")
        )

    def _sent(self):
        """Run the post-commit hooks as a real commit would, and return the webhooks sent."""
        with patch(POST, return_value=FakeResponse()) as post:
            self.env.cr.postcommit.run()
        return post.call_args_list

    def _set_online(self, user):
        if "mail.presence" in self.env:
            self.env["mail.presence"]._update_presence(user)
        else:
            self.env["bus.presence"].with_user(user)._update_presence(
                inactivity_period=0, identity_field="user_id", identity_value=user.id
            )

    def test_the_settings_screen_chooses_the_served_channels(self):
        other = self.env["im_livechat.channel"].create({"name": "Soporte"})
        settings = self.env["res.config.settings"].create({})
        self.assertIn(self.livechat, settings.salesagent_livechat_channel_ids)
        self.assertEqual(settings.salesagent_bot_partner_id, self.bot)
        settings.salesagent_livechat_channel_ids = other
        settings.execute()
        self.assertFalse(self.livechat.salesagent_serve)
        self.assertTrue(other.salesagent_serve)
        self.assertFalse(self.livechat._salesagent_bot())

    def test_the_bot_is_the_first_operator(self):
        channel = self._open_session()
        self.assertEqual(channel.livechat_operator_id, self.bot)
        self.assertIn(self.bot, channel.channel_member_ids.partner_id)

    def test_visitor_message_is_sent_signed_after_commit(self):
        channel = self._open_session()
        self.env.cr.postcommit.clear()
        message = self._post_as_visitor(channel, "hola, necesito 2 extintores")
        calls = self._sent()
        self.assertEqual(len(calls), 1)
        (url,), kwargs = calls[0]
        self.assertEqual(url, "http://agent.test/webhooks/odoo/livechat")
        body, headers = kwargs["data"], kwargs["headers"]
        timestamp = headers[webhook.TIMESTAMP_HEADER]
        expected = "sha256=" + webhook.signature(SECRET, int(timestamp), body)
        self.assertEqual(headers[webhook.SIGNATURE_HEADER], expected)
        self.assertLessEqual(kwargs["timeout"], 30)
        payload = json.loads(body)
        self.assertEqual(payload["database"], self.env.cr.dbname)
        self.assertEqual(payload["channel_id"], channel.id)
        self.assertEqual(payload["message_id"], message.id)
        self.assertEqual(payload["body"], "hola, necesito 2 extintores")
        self.assertEqual(payload["author_role"], "visitor")
        self.assertEqual(payload["livechat_channel_id"], self.livechat.id)
        self.assertEqual(payload["bot_partner_id"], self.bot.id)

    def test_the_agent_catches_up_on_the_messages_it_missed(self):
        channel = self._open_session()
        since = fields.Datetime.to_string(fields.Datetime.now() - timedelta(minutes=1))
        first = self._post_as_visitor(channel, "hola")
        channel._salesagent_post_as_bot("¡Hola! ¿En qué te ayudo?")
        second = self._post_as_visitor(channel, "necesito 2 extintores")
        other = self.env["im_livechat.channel"].create({"name": "Soporte"})
        self.assertFalse(other.salesagent_serve)

        page = self.env["discuss.channel"].salesagent_messages(since, limit=500)

        self.assertEqual([e["message_id"] for e in page["events"]], [first.id, second.id])
        self.assertEqual(page["events"][1]["body"], "necesito 2 extintores")
        self.assertEqual({e["author_role"] for e in page["events"]}, {"visitor"})
        self.assertFalse(page["more"])
        later = self.env["discuss.channel"].salesagent_messages(since, after_id=first.id)
        self.assertEqual([e["message_id"] for e in later["events"]], [second.id])
        with self.assertRaises(AccessError):
            self.env["discuss.channel"].with_user(self.operator).salesagent_messages(since)

    def test_nothing_is_sent_before_the_commit_or_for_the_bot(self):
        channel = self._open_session()
        self.env.cr.postcommit.clear()
        channel._salesagent_post_as_bot("¡Hola! ¿En qué te ayudo?")
        self.assertEqual(self._sent(), [])

    def test_the_agents_html_reply_is_posted_as_the_bot(self):
        channel = self._open_session()
        agent = self.env.ref("base.user_admin")
        message_id = channel.with_user(agent).message_post(
            body="<b>Casco</b> &lt;script&gt;<br>$45.000<script>alert(1)</script>",
            body_is_html=True,
            author_id=self.bot.id,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        message = self.env["mail.message"].browse(getattr(message_id, "id", message_id))
        self.assertEqual(message.author_id, self.bot)
        self.assertIn("<b>Casco</b>", message.body)
        self.assertIn("&lt;script&gt;", message.body)
        self.assertNotIn("<script>", message.body)

    def test_unserved_channel_is_left_alone(self):
        channel = self._open_session()
        self.livechat.salesagent_serve = False
        self.env.cr.postcommit.clear()
        self._post_as_visitor(channel, "hola")
        self.assertEqual(self._sent(), [])

    def test_a_failing_agent_never_breaks_the_message(self):
        channel = self._open_session()
        self.env.cr.postcommit.clear()
        message = self._post_as_visitor(channel, "hola")
        with patch(POST, side_effect=OSError("agent down")):
            self.env.cr.postcommit.run()
        self.assertTrue(message.exists())

    def test_handoff_without_operator_keeps_the_bot(self):
        channel = self._open_session()
        result = channel.salesagent_handoff(
            reason="customer_request", message="Te comunico con un asesor."
        )
        self.assertFalse(result["operator_found"])
        self.assertIn(self.bot, channel.channel_member_ids.partner_id)
        bodies = channel.message_ids.mapped("body")
        self.assertFalse(any("Te comunico" in (body or "") for body in bodies))

    def test_handoff_to_an_online_operator_then_operator_messages_reach_the_agent(self):
        self._set_online(self.operator)
        channel = self._open_session()
        result = channel.salesagent_handoff(
            reason="customer_request", message="Te comunico con un asesor."
        )
        self.assertTrue(result["operator_found"])
        self.assertEqual(result["operator_partner_id"], self.operator.partner_id.id)
        self.assertIn(self.operator.partner_id, channel.channel_member_ids.partner_id)
        self.assertTrue(
            any("Te comunico" in (body or "") for body in channel.message_ids.mapped("body"))
        )
        again = channel.salesagent_handoff(reason="customer_request")
        self.assertTrue(again["already_present"])

        self.env.cr.postcommit.clear()
        channel.with_user(self.operator).message_post(
            body="Hola, soy tu asesor", message_type="comment", subtype_xmlid="mail.mt_comment"
        )
        (_url,), kwargs = self._sent()[0]
        self.assertEqual(json.loads(kwargs["data"])["author_role"], "operator")

    def test_only_livechat_managers_may_call_the_agent_api(self):
        channel = self._open_session()
        with self.assertRaises(AccessError):
            channel.with_user(self.operator).salesagent_handoff()
        info = self.env["discuss.channel"].salesagent_info()
        self.assertEqual(info["bot_partner_id"], self.bot.id)
