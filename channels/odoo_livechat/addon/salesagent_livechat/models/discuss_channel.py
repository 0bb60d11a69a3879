import logging
from functools import partial

import requests
from markupsafe import Markup
from odoo import SUPERUSER_ID, api, models
from odoo.exceptions import AccessError
from odoo.release import version_info
from odoo.tools import html2plaintext, plaintext2html

from .. import webhook
from .res_config_settings import salesagent_config

_logger = logging.getLogger(__name__)

ODOO_MAJOR = version_info[0]


def _post_webhook(url, secret, body, timeout):
    """Send one signed event to the agent; runs after the commit and never raises."""
    try:
        response = requests.post(
            url, data=body, headers=webhook.signed_headers(secret, body), timeout=timeout
        )
        if response.status_code >= 400:
            _logger.warning(
                "salesagent webhook %s answered %s: %s",
                url,
                response.status_code,
                response.text[:200],
            )
    except Exception:  # the visitor's message is committed: a failed webhook only logs
        _logger.warning("salesagent webhook %s failed", url, exc_info=True)


class DiscussChannel(models.Model):
    _inherit = "discuss.channel"

    def message_post(self, **kwargs):
        # The agent posts its replies over RPC as HTML it escaped itself (`body_is_html`); as
        # the bot, that HTML is taken as markup, like Odoo's chatbot messages, instead of
        # logging a warning for every reply. The message body is still sanitized by Odoo.
        body = kwargs.get("body")
        if kwargs.get("body_is_html") and isinstance(body, str) and not isinstance(body, Markup):
            bot = salesagent_config(self.env).bot
            if bot and kwargs.get("author_id") == bot.id:
                kwargs["body"] = Markup(body)
                kwargs["body_is_html"] = False
        return super().message_post(**kwargs)

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        try:
            self._salesagent_queue_webhook(message)
        except Exception:  # never break the visitor's (or the operator's) message
            _logger.exception("salesagent: message %s was not queued for the agent", message.id)
        return result

    def _salesagent_queue_webhook(self, message):
        """After the transaction commits, send a served session's message to the agent."""
        config = salesagent_config(self.env)
        if not config.agent_url or not config.secret:
            return
        payload = self._salesagent_event(message, config.bot)
        if payload is None:
            return
        send = partial(
            _post_webhook,
            webhook.webhook_url(config.agent_url),
            config.secret,
            webhook.encode(payload),
            config.timeout,
        )
        self.env.cr.postcommit.add(send)

    def _salesagent_event(self, message, bot):
        """The webhook's payload for a message of a served session; None for one the agent
        must not receive (another kind of channel or message, the bot's own)."""
        if self.channel_type != "livechat" or message.message_type != "comment":
            return None
        channel = self.sudo()
        livechat = channel.livechat_channel_id
        if not livechat or not livechat.salesagent_serve:
            return None
        role = channel._salesagent_author_role(message, bot)
        if role is None:
            return None
        return webhook.build_payload(
            database=self.env.cr.dbname,
            channel_id=channel.id,
            message_id=message.id,
            body=html2plaintext(message.body or "").strip(),
            author_role=role,
            author_name=message.author_id.name or message.author_guest_id.name,
            visitor_name=channel._salesagent_visitor_name(),
            language=channel._salesagent_language(),
            country=channel.country_id.code,
            livechat_channel_id=livechat.id,
            bot_partner_id=bot.id,
            odoo_version=".".join(str(part) for part in version_info[:2]),
        )

    def _salesagent_member(self, message):
        members = self.channel_member_ids
        if message.author_guest_id:
            return members.filtered(lambda m: m.guest_id == message.author_guest_id)[:1]
        return members.filtered(lambda m: m.partner_id == message.author_id)[:1]

    def _salesagent_author_role(self, message, bot):
        """`visitor`, `operator`, or None for a message the agent must not receive."""
        author = message.author_id
        if author and (author == bot or author == self.env.ref("base.partner_root")):
            return None
        if message.author_guest_id:
            return webhook.VISITOR
        member = self._salesagent_member(message)
        if member and "livechat_member_type" in member._fields:  # Odoo 19
            return {"visitor": webhook.VISITOR, "agent": webhook.OPERATOR}.get(
                member.livechat_member_type
            )
        # Odoo 18 has no member types: a user among the channel's operators is an operator.
        if author.user_ids & self.livechat_channel_id.user_ids:
            return webhook.OPERATOR
        return webhook.VISITOR

    def _salesagent_visitor_name(self):
        members = self.channel_member_ids
        if "livechat_member_type" in members._fields:
            visitor = members.filtered(lambda m: m.livechat_member_type == "visitor")[:1]
            return visitor.guest_id.name or visitor.partner_id.name or ""
        guest = members.guest_id[:1]
        return guest.name or (self._fields.get("anonymous_name") and self.anonymous_name) or ""

    def _salesagent_language(self):
        if "livechat_lang_id" in self._fields and self.livechat_lang_id:
            return self.livechat_lang_id.code
        guest = self.channel_member_ids.guest_id[:1]
        return guest.lang or None

    # ------------------------------------------------------------------
    # Called by the agent (JSON-2 on Odoo 19, JSON-RPC execute_kw on 18)
    # ------------------------------------------------------------------

    @api.model
    def salesagent_info(self):
        """What the agent needs to know about this database: the bot partner and the version."""
        self._salesagent_check_caller()
        config = salesagent_config(self.env)
        return {
            "bot_partner_id": config.bot.id or False,
            "bot_name": config.bot.name or False,
            "odoo_version": ".".join(str(part) for part in version_info[:2]),
        }

    @api.model
    def salesagent_messages(self, since, after_id=0, limit=200):
        """The served sessions' messages posted since `since` (UTC, "YYYY-MM-DD HH:MM:SS"),
        after message `after_id`, as the webhook sends them: what the agent missed while it
        was down or its secret was wrong (it keeps each message once, by its id).

        Returns ``{"events": [payload...], "last_id": id, "more": bool}``: the next page
        starts after ``last_id`` when ``more``.
        """
        self._salesagent_check_caller()
        bot = salesagent_config(self.env).bot
        messages = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", "discuss.channel"),
                    ("message_type", "=", "comment"),
                    ("create_date", ">=", since),
                    ("id", ">", int(after_id)),
                ],
                order="id asc",
                limit=int(limit),
            )
        )
        channels = self.sudo().browse(list(set(messages.mapped("res_id")))).exists()
        by_id = {channel.id: channel for channel in channels}
        events = []
        for message in messages:
            channel = by_id.get(message.res_id)
            payload = channel._salesagent_event(message, bot) if channel else None
            if payload is not None:
                events.append(payload)
        return {
            "events": events,
            "last_id": messages[-1:].id or int(after_id),
            "more": len(messages) == int(limit),
        }

    def salesagent_handoff(self, reason=None, message=None):
        """Hand the session to a human operator the way Odoo's chatbot does.

        When an operator is available, `message` (plain text) is posted as the bot first, then
        the operator joins the session. Returns whether an operator was found and who.
        """
        self.ensure_one()
        self._salesagent_check_caller()
        # As the superuser: the caller (the agent's API user) must never be picked as the
        # operator, and the forward step needs rights the visitor's session has in Odoo.
        channel = self.with_user(SUPERUSER_ID).sudo()
        present = channel._salesagent_operator_present()
        if present:
            return channel._salesagent_handoff_result(present, already=True)
        operator = channel._salesagent_find_operator()
        if not operator:
            if "livechat_failure" in channel._fields:
                channel.livechat_failure = "no_agent"
            return {"operator_found": False, "operator_name": False, "operator_partner_id": False}
        if message:
            channel._salesagent_post_as_bot(message)
        channel._salesagent_forward(operator)
        if reason and "livechat_note" in channel._fields:
            channel.livechat_note = plaintext2html(f"salesagent: {reason}")
        return channel._salesagent_handoff_result(operator.partner_id, already=False)

    def _salesagent_check_caller(self):
        if not self.env.user.has_group("im_livechat.im_livechat_group_manager"):
            raise AccessError(
                self.env._("Only Live Chat administrators can call the sales agent API.")
            )

    def _salesagent_handoff_result(self, partner, already):
        return {
            "operator_found": True,
            "operator_name": partner.user_livechat_username or partner.name,
            "operator_partner_id": partner.id,
            "already_present": already,
        }

    def _salesagent_operator_present(self):
        """The partner of a human operator already in the session, if any."""
        members = self.channel_member_ids
        if "livechat_member_type" in members._fields:
            return members.filtered(lambda m: m.livechat_member_type == "agent").partner_id[:1]
        operators = self.livechat_channel_id.user_ids.partner_id
        return members.partner_id.filtered(lambda p: p in operators)[:1]

    def _salesagent_find_operator(self):
        lang = self.env.context.get("lang")
        if ODOO_MAJOR >= 19:
            return self.with_context(lang=lang)._get_human_operator(
                None, self.env["chatbot.script.step"]
            )
        return self.livechat_channel_id._get_operator(lang=lang, country_id=self.country_id.id)

    def _salesagent_post_as_bot(self, text):
        bot = salesagent_config(self.env).bot
        return self.with_context(mail_create_nosubscribe=True).message_post(
            author_id=bot.id,
            body=plaintext2html(text),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def _salesagent_forward(self, operator):
        """Add `operator` to the session (and, on 19, take the bot out), as Odoo's forward step."""
        visitor = self._salesagent_visitor_name()
        operator_name = operator.livechat_username or operator.name
        if ODOO_MAJOR >= 19:
            self._forward_human_operator(users=operator)
        else:
            self.with_user(operator).sudo().add_members(
                operator.partner_id.ids, open_chat_window=True
            )
            self.livechat_operator_id = operator.partner_id
            self._broadcast(operator.partner_id.ids)
        self.name = " ".join(name for name in (visitor, operator_name) if name)
