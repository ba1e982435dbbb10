"""Rocket.Chat's defaults that the sandbox reproduces: settings, role grants, the server version.

Role grants follow the server's `upsertPermissions` table for the permissions a bot meets
(rocketchat-analytics.md §2.5, rocketchat-realtime-rest.md §2.9). Admins can change the mapping,
so a data file may override any entry under `settings["Sandbox_Permissions"]`.
"""

from __future__ import annotations

from typing import Any

from .versions import DEFAULT_VERSION

# The version /api/info reports by default: the newest 8.x (versions.py holds the 7.x profile too).
SERVER_VERSION = DEFAULT_VERSION

DEFAULT_PERMISSIONS: dict[str, list[str]] = {
    "view-livechat-manager": ["livechat-manager", "livechat-monitor", "admin"],
    "view-livechat-rooms": ["livechat-manager", "livechat-monitor", "admin"],
    "view-l-room": ["livechat-agent", "livechat-manager", "livechat-monitor", "admin"],
    "view-livechat-departments": ["livechat-manager", "livechat-monitor", "admin"],
    "manage-livechat-managers": ["livechat-manager", "admin"],
    "manage-livechat-agents": ["livechat-manager", "livechat-monitor", "admin"],
    "api-bypass-rate-limit": ["admin", "bot", "app"],
    "send-many-messages": ["admin", "bot", "app"],
    "view-full-other-user-info": ["admin"],
    "view-c-room": ["admin", "user", "bot", "app", "anonymous"],
    "view-d-room": ["admin", "user", "bot", "app", "guest"],
    "view-p-room": ["admin", "user", "anonymous", "guest"],
    "preview-c-room": ["admin", "user", "anonymous"],
    "create-d": ["admin", "user", "bot", "app"],
    "create-personal-access-tokens": ["admin", "user"],
    "edit-message": ["admin", "owner", "moderator"],
    "delete-message": ["admin", "owner", "moderator"],
    "view-other-user-channels": ["admin"],
    "view-privileged-setting": ["admin"],
    "view-statistics": ["admin"],  # /api/info's full version and build (getServerInfo.ts)
    # Omnichannel live operations (apps/meteor/server/startup/initialData / upsertPermissions.ts).
    "view-livechat-business-hours": ["livechat-manager", "livechat-monitor", "admin"],
    "transfer-livechat-guest": ["livechat-manager", "livechat-monitor", "admin"],
    "edit-omnichannel-contact": ["livechat-manager", "livechat-agent", "admin"],
    "view-livechat-queue": ["livechat-manager", "livechat-monitor", "livechat-agent", "admin"],
    "view-livechat-real-time-monitoring": ["livechat-manager", "livechat-monitor", "admin"],
    "close-livechat-room": ["livechat-manager", "livechat-monitor", "livechat-agent", "admin"],
    "close-others-livechat-room": ["livechat-manager", "livechat-monitor", "admin"],
}

DEFAULT_SETTINGS: dict[str, Any] = {
    "Language": "en",
    "Default_Timezone_For_Reporting": "server",
    "Default_Custom_Timezone": "UTC",
    "API_Enable_Rate_Limiter": True,
    "API_Enable_Rate_Limiter_Limit_Calls_Default": 10,
    "API_Enable_Rate_Limiter_Limit_Time_Default": 60000,
    "DDP_Rate_Limit_Connection_By_Method_Enabled": True,
    "DDP_Rate_Limit_Connection_By_Method_Requests_Allowed": 10,
    "DDP_Rate_Limit_Connection_By_Method_Interval_Time": 10000,
    "DDP_Rate_Limit_User_By_Method_Enabled": True,
    "DDP_Rate_Limit_User_By_Method_Requests_Allowed": 20,
    "DDP_Rate_Limit_User_By_Method_Interval_Time": 10000,
    "Message_MaxAllowedSize": 5000,
    "Message_AllowEditing": True,
    "Message_AllowDeleting": True,
    "Threads_enabled": True,
    "Accounts_LoginExpiration": 90,
    "FileUpload_MaxFileSize": 104857600,
    # REST pagination (getPaginationItems.ts).
    "API_Default_Count": 50,
    "API_Upper_Count_Limit": 100,
    "API_Allow_Infinite_Count": True,
    # Omnichannel (apps/meteor/app/livechat/server/config.ts).
    "Livechat_visitor_inactivity_timeout": 3600,
    "Livechat_enabled_when_agent_idle": True,
    "Livechat_enable_business_hours": False,
    "Omnichannel_sorting_mechanism": "Timestamp",
    # Sandbox-only knobs (no such settings exist in Rocket.Chat):
    "Sandbox_Version": SERVER_VERSION,
    # The zone of the simulated server process; Rocket.Chat in Docker runs in UTC.
    "Sandbox_Server_Timezone": "UTC",
    # "real": /api/v1/livechat/analytics/dashboards/charts-data; "doubled": the documented
    # /api/v1/livechat/livechat/analytics/dashboards/charts-data (rocketchat-analytics.md §5.1).
    "Sandbox_Charts_Data_Route": "real",
    # Hour labels of a one-day charts-data: "next" gives "12AM-1AM" (the reference's form), "endOf" gives
    # "12AM-12AM", what versions formatting the end with moment's `endOf('hour')` print.
    "Sandbox_Hour_Labels": "next",
    # Meteor's ddp-server heartbeat defaults.
    "Sandbox_Heartbeat_Interval_ms": 15000,
    "Sandbox_Heartbeat_Timeout_ms": 15000,
    # The `mem` cache in front of overview and agent-overview (60 s in Rocket.Chat).
    "Sandbox_Analytics_Cache_ms": 60000,
    # The `mem` cache in front of every Real-time Monitoring computation (5 s in Rocket.Chat).
    "Sandbox_Dashboards_Cache_ms": 5000,
}

# Settings registered with `public: true`, which `settings.public` serves without a login (file-upload.ts,
# message.ts, general.ts, threads.ts under apps/meteor/server/settings/; the web client reads each with
# useSetting, which only sees public settings).
PUBLIC_SETTINGS: tuple[str, ...] = (
    "FileUpload_MaxFileSize",
    "Language",
    "Message_AllowDeleting",
    "Message_AllowEditing",
    "Message_MaxAllowedSize",
    "Threads_enabled",
)

# Settings whose type the loader checks (everything else in `settings` is stored as given).
SETTING_TYPES: dict[str, type | tuple[type, ...]] = {
    "Language": str,
    "Default_Timezone_For_Reporting": str,
    "Default_Custom_Timezone": str,
    "API_Enable_Rate_Limiter": bool,
    "API_Enable_Rate_Limiter_Limit_Calls_Default": int,
    "API_Enable_Rate_Limiter_Limit_Time_Default": int,
    "DDP_Rate_Limit_Connection_By_Method_Enabled": bool,
    "DDP_Rate_Limit_Connection_By_Method_Requests_Allowed": int,
    "DDP_Rate_Limit_Connection_By_Method_Interval_Time": int,
    "DDP_Rate_Limit_User_By_Method_Enabled": bool,
    "DDP_Rate_Limit_User_By_Method_Requests_Allowed": int,
    "DDP_Rate_Limit_User_By_Method_Interval_Time": int,
    "Message_MaxAllowedSize": int,
    "Message_AllowEditing": bool,
    "Message_AllowDeleting": bool,
    "Threads_enabled": bool,
    "Accounts_LoginExpiration": int,
    "FileUpload_MaxFileSize": int,
    "API_Default_Count": int,
    "API_Upper_Count_Limit": int,
    "API_Allow_Infinite_Count": bool,
    "Livechat_visitor_inactivity_timeout": int,
    "Livechat_enabled_when_agent_idle": bool,
    "Livechat_enable_business_hours": bool,
    "Omnichannel_sorting_mechanism": str,
    "Sandbox_Dashboards_Cache_ms": int,
    "Sandbox_Version": str,
    "Sandbox_Server_Timezone": str,
    "Sandbox_Charts_Data_Route": str,
    "Sandbox_Hour_Labels": str,
    "Sandbox_Heartbeat_Interval_ms": int,
    "Sandbox_Heartbeat_Timeout_ms": int,
    "Sandbox_Analytics_Cache_ms": int,
    "Sandbox_Permissions": dict,
}

SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "Default_Timezone_For_Reporting": ("server", "custom", "user"),
    "Sandbox_Charts_Data_Route": ("real", "doubled"),
    "Sandbox_Hour_Labels": ("next", "endOf"),
    "Omnichannel_sorting_mechanism": ("Timestamp", "Priority", "SLAs"),
}
